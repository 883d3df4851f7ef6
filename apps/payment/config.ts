/**
 * The payment service's configuration, read from the environment ONCE at start-up and validated:
 * the variables every effect service shares (@seamline/effect-service/process) with payment's
 * defaults, plus payment's own test switch. A bad value fails naming the variable. Nothing else
 * reads `process.env`.
 */
import type { EffectServiceConfig } from '@seamline/effect-service/process';
import { loadEffectServiceConfig, parseEnvironment } from '@seamline/effect-service/process';
import { z } from 'zod';

export interface PaymentConfig extends EffectServiceConfig {
  /**
   * SEAMLINE_UNSAFE_NO_DEDUP: TEST SWITCH, `on` or a list of `charge`, `refund`: those effects are
   * applied again when repeated, as by a receiver without idempotency. Only to show what the
   * protection prevents. @default [] (off)
   */
  readonly unsafeNoDedup?: readonly ('charge' | 'refund')[];
}

const paymentEnvironment = z.object({
  SEAMLINE_UNSAFE_NO_DEDUP: z
    .string()
    .regex(/^(on|off|(charge|refund)(,(charge|refund))*)$/, 'on, off, or charge and/or refund')
    .default('off'),
});

/** Reads and validates the environment; throws an Error naming the first bad variable. */
export function loadPaymentConfig(env: NodeJS.ProcessEnv = process.env): PaymentConfig {
  const shared = loadEffectServiceConfig(env, { service: 'payment', httpPort: 3100 });
  const { SEAMLINE_UNSAFE_NO_DEDUP: noDedup } = parseEnvironment(paymentEnvironment, env);
  return {
    ...shared,
    unsafeNoDedup:
      noDedup === 'off'
        ? []
        : noDedup === 'on'
          ? ['charge', 'refund']
          : [...new Set(noDedup.split(',') as ('charge' | 'refund')[])],
  };
}
