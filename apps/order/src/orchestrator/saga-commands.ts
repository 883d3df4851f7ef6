import type { EffectAction } from '@seamline/contracts';
import { effectKey, PATTERNS, STEP_OF } from '@seamline/contracts';
import type { Saga } from '../saga/saga-state.ts';

/** The bus command an action of a saga turns into (pure). */
export interface SagaCommand {
  readonly service: string;
  readonly action: string;
  readonly payload: unknown;
  readonly headers: {
    readonly sagaId: string;
    readonly step: string;
    readonly idempotencyKey: string;
    readonly deadline: number;
    readonly attempt: number;
  };
}

/**
 * Forward steps carry the saga's deadline; compensations must happen whatever the deadline, so
 * each send of one carries a fresh deadline of its own.
 */
export function commandFor(
  saga: Saga,
  action: EffectAction,
  now: number,
  compensationDeadlineMs: number,
): SagaCommand {
  const pattern = PATTERNS[action];
  const payload =
    pattern.service === 'inventory'
      ? { orderId: saga.orderId, items: saga.items.map(({ sku, qty }) => ({ sku, qty })) }
      : {
          orderId: saga.orderId,
          customerId: saga.customerId,
          amountCents: saga.totalCents,
          currency: saga.currency,
        };
  const forward = action === 'reserve' || action === 'charge';
  return {
    service: pattern.service,
    action: pattern.action,
    payload: pattern.payload.parse(payload),
    headers: {
      sagaId: saga.orderId,
      step: STEP_OF[action],
      idempotencyKey: effectKey(saga.orderId, action),
      deadline: forward ? saga.deadline : now + compensationDeadlineMs,
      attempt: saga.outstanding?.sends ?? 1,
    },
  };
}
