import { z } from 'zod';
import { ORDER_LIMITS } from './order-limits.ts';

/**
 * The wire contract between the orchestrator and the effect services: one schema per command
 * payload and per result. Parsed at both edges; never shared with domain types.
 */

const sku = z.string().min(1).max(64);
const customerId = z.string().min(1).max(64);
const orderId = z.string().min(1).max(64);
const cents = z.number().int().nonnegative().max(ORDER_LIMITS.maxCents);

export const lineItem = z.strictObject({
  sku,
  qty: z.number().int().min(1).max(ORDER_LIMITS.maxQty),
});

export const reserveCommand = z.strictObject({
  orderId,
  items: z.array(lineItem).min(1).max(ORDER_LIMITS.maxLines),
});
export const releaseCommand = reserveCommand;
export const chargeCommand = z.strictObject({
  orderId,
  customerId,
  amountCents: cents,
  currency: z.literal('USD'),
});
export const refundCommand = chargeCommand;

export const reserveResult = z.discriminatedUnion('outcome', [
  z.strictObject({ outcome: z.literal('reserved') }),
  /**
   * OUT_OF_STOCK names the short sku; ALREADY_RELEASED means a release for this order was
   * processed first, so the reservation may never happen.
   */
  z.strictObject({
    outcome: z.literal('declined'),
    reason: z.enum(['OUT_OF_STOCK', 'ALREADY_RELEASED']),
    sku: z.string(),
  }),
]);
export const releaseResult = z.strictObject({
  outcome: z.enum(['released', 'nothing-to-release']),
});
export const chargeResult = z.discriminatedUnion('outcome', [
  z.strictObject({ outcome: z.literal('charged'), balanceAfterCents: cents }),
  z.strictObject({
    outcome: z.literal('declined'),
    reason: z.enum(['INSUFFICIENT_FUNDS', 'UNKNOWN_ACCOUNT', 'ALREADY_REFUNDED']),
  }),
]);
export const refundResult = z.strictObject({ outcome: z.enum(['refunded', 'nothing-to-refund']) });

export type LineItem = z.infer<typeof lineItem>;
export type ReserveCommand = z.infer<typeof reserveCommand>;
export type ReleaseCommand = z.infer<typeof releaseCommand>;
export type ChargeCommand = z.infer<typeof chargeCommand>;
export type RefundCommand = z.infer<typeof refundCommand>;
export type ReserveResult = z.infer<typeof reserveResult>;
export type ReleaseResult = z.infer<typeof releaseResult>;
export type ChargeResult = z.infer<typeof chargeResult>;
export type RefundResult = z.infer<typeof refundResult>;

/** Bus patterns (`<service>.<action>`) and their schemas, so both edges agree. */
export const PATTERNS = {
  reserve: {
    service: 'inventory',
    action: 'reserve',
    payload: reserveCommand,
    result: reserveResult,
  },
  release: {
    service: 'inventory',
    action: 'release',
    payload: releaseCommand,
    result: releaseResult,
  },
  charge: { service: 'payment', action: 'charge', payload: chargeCommand, result: chargeResult },
  refund: { service: 'payment', action: 'refund', payload: refundCommand, result: refundResult },
} as const;

export type EffectAction = keyof typeof PATTERNS;

/** The saga step each action belongs to; compensations share their step. */
export const STEP_OF: Record<EffectAction, 'reserve' | 'charge'> = {
  reserve: 'reserve',
  release: 'reserve',
  charge: 'charge',
  refund: 'charge',
};

/** Deterministic idempotency key of one effect: `sagaId:step:action`. */
export function effectKey(sagaId: string, action: EffectAction): string {
  return `${sagaId}:${STEP_OF[action]}:${action}`;
}

/** Reverse of {@link effectKey}; undefined for a key that is not ours. */
export function parseEffectKey(
  key: string,
): { sagaId: string; step: string; action: EffectAction } | undefined {
  const parts = key.split(':');
  if (parts.length < 3) return undefined;
  const action = parts.at(-1) as EffectAction;
  const step = parts.at(-2)!;
  if (!(action in PATTERNS) || STEP_OF[action] !== step) return undefined;
  return { sagaId: parts.slice(0, -2).join(':'), step, action };
}
