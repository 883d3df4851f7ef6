import type { DynamicModule, Type } from '@nestjs/common';
import { Module } from '@nestjs/common';
import type { EffectServiceRuntime } from './effect-runtime.ts';
import { EFFECT_SERVICE_RUNTIME } from './effect-service.tokens.ts';
import { OpsController } from './ops.controller.ts';
import { SeedController } from './seed.controller.ts';

/** The Nest module of one effect service: its bus handlers beside the shared HTTP side. */
@Module({})
export class EffectServiceModule {
  static register(
    runtime: EffectServiceRuntime<unknown>,
    handlers: readonly Type[],
  ): DynamicModule {
    return {
      module: EffectServiceModule,
      controllers: [...handlers, OpsController, SeedController],
      providers: [{ provide: EFFECT_SERVICE_RUNTIME, useValue: runtime }],
    };
  }
}
