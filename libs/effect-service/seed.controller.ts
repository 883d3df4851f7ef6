import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import type { EffectServiceRuntime, SeedReport } from './effect-runtime.ts';
import { EFFECT_SERVICE_RUNTIME } from './effect-service.tokens.ts';

/** Fixture loading for demos and tests; idempotent, so a re-seed never resets what has history. */
@Controller('admin')
export class SeedController {
  constructor(@Inject(EFFECT_SERVICE_RUNTIME) private readonly rt: EffectServiceRuntime<unknown>) {}

  @Post('seed')
  @HttpCode(200)
  async seed(@Body() body: unknown): Promise<SeedReport> {
    try {
      return await this.rt.seed(body);
    } catch (err) {
      this.rt.onWriteError(err);
      throw err;
    }
  }
}
