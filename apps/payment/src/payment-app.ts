/**
 * The payment service: a fenced single-writer effect service (@seamline/effect-service) over the
 * `payment` domain, taking charge and refund commands. Used by main.ts and, in-process, by the
 * integration tests.
 */
import { chargeCommand, refundCommand } from '@seamline/contracts';
import type { EffectService, EffectServiceOptions } from '@seamline/effect-service';
import { startEffectService } from '@seamline/effect-service';
import type { PaymentConfig } from '../config.ts';
import { PaymentCommandsController } from './payment-commands.controller.ts';
import { PaymentEffects } from './payment-effects.ts';
import { PAYMENT_DOMAIN } from './payment-records.ts';
import { paymentSeed } from './payment-seed.ts';

export type PaymentApp = EffectService;
export type PaymentAppOptions = EffectServiceOptions;

/** Builds and starts one payment process: quorum store, writer lease, bus handlers, HTTP side. */
export function createPaymentApp(
  config: PaymentConfig,
  options: PaymentAppOptions = {},
): Promise<PaymentApp> {
  const unsafeNoDedup = config.unsafeNoDedup ?? [];
  return startEffectService(
    config,
    {
      service: 'payment',
      domain: PAYMENT_DOMAIN,
      ledger: 'payment',
      commands: { 'payment.charge': chargeCommand, 'payment.refund': refundCommand },
      handlers: [PaymentCommandsController],
      effects: (idempotent, log) => {
        if (unsafeNoDedup.length > 0) {
          log.warn(
            { unsafeNoDedup },
            'UNSAFE TEST SWITCH: repeated effects are applied again (duplicate protection off)',
          );
        }
        return new PaymentEffects(idempotent, { unsafeNoDedup: new Set(unsafeNoDedup) });
      },
      seed: paymentSeed,
    },
    options,
  );
}
