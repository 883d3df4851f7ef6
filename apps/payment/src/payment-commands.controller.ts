import { Controller, Inject, UseFilters } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { BusCommand } from '@seamline/bus';
import { BusExceptionFilter } from '@seamline/bus';
import type { ChargeCommand, ChargeResult, RefundCommand, RefundResult } from '@seamline/contracts';
import type { EffectServiceRuntime } from '@seamline/effect-service';
import { EFFECT_SERVICE_RUNTIME, runEffectCommand } from '@seamline/effect-service';
import type { PaymentEffects } from './payment-effects.ts';

/**
 * Bus handlers: one use case each. The payload was parsed against the contract schema by the
 * transport; errors keep their `code` and `retryable` flag on the way out (terminal ones become
 * a reply, retryable ones a redelivery).
 */
@Controller()
@UseFilters(new BusExceptionFilter())
export class PaymentCommandsController {
  constructor(
    @Inject(EFFECT_SERVICE_RUNTIME) private readonly rt: EffectServiceRuntime<PaymentEffects>,
  ) {}

  @MessagePattern('payment.charge')
  charge(@Payload() cmd: BusCommand<ChargeCommand>): Promise<ChargeResult> {
    return runEffectCommand(this.rt, cmd, 'charge', (gate) =>
      this.rt.effects.charge(cmd.idempotencyKey, cmd.payload, gate),
    );
  }

  @MessagePattern('payment.refund')
  refund(@Payload() cmd: BusCommand<RefundCommand>): Promise<RefundResult> {
    return runEffectCommand(this.rt, cmd, 'refund', (gate) =>
      this.rt.effects.refund(cmd.idempotencyKey, cmd.sagaId, cmd.payload, gate),
    );
  }
}
