import { Controller, Inject, UseFilters } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { BusCommand } from '@seamline/bus';
import { BusExceptionFilter } from '@seamline/bus';
import type {
  ReleaseCommand,
  ReleaseResult,
  ReserveCommand,
  ReserveResult,
} from '@seamline/contracts';
import type { EffectServiceRuntime } from '@seamline/effect-service';
import { EFFECT_SERVICE_RUNTIME, runEffectCommand } from '@seamline/effect-service';
import type { InventoryEffects } from './inventory-effects.ts';

/**
 * Bus handlers: one use case each. The payload was parsed against the contract schema by the
 * transport; errors keep their `code` and `retryable` flag on the way out (terminal ones become
 * a reply, retryable ones a redelivery).
 */
@Controller()
@UseFilters(new BusExceptionFilter())
export class InventoryCommandsController {
  constructor(
    @Inject(EFFECT_SERVICE_RUNTIME) private readonly rt: EffectServiceRuntime<InventoryEffects>,
  ) {}

  @MessagePattern('inventory.reserve')
  reserve(@Payload() cmd: BusCommand<ReserveCommand>): Promise<ReserveResult> {
    return runEffectCommand(this.rt, cmd, 'reserve', (gate) =>
      this.rt.effects.reserve(cmd.idempotencyKey, cmd.payload, gate),
    );
  }

  @MessagePattern('inventory.release')
  release(@Payload() cmd: BusCommand<ReleaseCommand>): Promise<ReleaseResult> {
    return runEffectCommand(this.rt, cmd, 'release', (gate) =>
      this.rt.effects.release(cmd.idempotencyKey, cmd.payload, gate),
    );
  }
}
