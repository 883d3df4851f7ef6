/**
 * What the server does with one delivery of a command: a pure decision, no I/O, injected clock
 * and randomness, so every branch is unit-tested.
 *
 *   delivery ──► beforeHandler: count > maxDeliver ? dead-letter (a previous final delivery left
 *            │                  no outcome: crash or ack timeout)
 *            │                  deadline passed?  reply DEADLINE_EXCEEDED + ack (never start work),
 *            │                                    or, for handlers that answer late deliveries
 *            │                                    (`expired: 'handler'`), run the handler, which
 *            │                                    replays a stored result or refuses
 *            ▼
 *         handler ──► afterHandler: ok / terminal  => reply + ack
 *                                   retryable      => nak(backoff) while count < maxDeliver,
 *                                                     dead-letter at count >= maxDeliver
 *
 * JetStream's own `max_deliver` is left unlimited on purpose: if JetStream stopped redelivering,
 * a message whose last delivery crashed would vanish silently instead of reaching the DLQ.
 */
import type { BusFailure } from './bus-errors.ts';
import type { BusReply } from './bus-envelope.ts';

export type RedeliveryPolicy = {
  /** Deliveries (handler runs) before a retryable failure is dead-lettered. */
  readonly maxDeliver: number;
  /** Exponential backoff with full jitter between deliveries. */
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
};

export type BeforeHandler =
  | { readonly kind: 'handle'; readonly remainingMs: number }
  | { readonly kind: 'deadline'; readonly reply: BusReply }
  | { readonly kind: 'dead-letter'; readonly reason: string };

export type HandlerOutcome =
  | { readonly kind: 'ok'; readonly result: unknown }
  | { readonly kind: 'failed'; readonly failure: BusFailure };

export type AfterHandler =
  | { readonly kind: 'reply'; readonly reply: BusReply; readonly outcome: 'ok' | 'terminal' }
  | { readonly kind: 'nak'; readonly delayMs: number }
  | { readonly kind: 'dead-letter'; readonly reason: string };

/**
 * Gate before a handler runs. `reserveMs` is kept back from the handler's budget (to publish the
 * reply), which also makes the handler's remaining time strictly less than the caller's.
 */
export function beforeHandler(input: {
  deliveryCount: number;
  deadline: number;
  now: number;
  reserveMs: number;
  policy: RedeliveryPolicy;
}): BeforeHandler {
  if (input.deliveryCount > input.policy.maxDeliver) {
    return {
      kind: 'dead-letter',
      reason: `max deliveries exceeded: delivery ${input.deliveryCount} of ${input.policy.maxDeliver} found no recorded outcome (handler crashed or ack timed out)`,
    };
  }
  const remainingMs = input.deadline - input.reserveMs - input.now;
  if (remainingMs <= 0) {
    return {
      kind: 'deadline',
      reply: {
        ok: false,
        code: 'DEADLINE_EXCEEDED',
        message: `deadline passed ${input.now - input.deadline} ms ago (reserve ${input.reserveMs} ms); not started`,
        retryable: false,
      },
    };
  }
  return { kind: 'handle', remainingMs };
}

/** Decision once the handler settled. `random` returns [0, 1). */
export function afterHandler(input: {
  outcome: HandlerOutcome;
  deliveryCount: number;
  policy: RedeliveryPolicy;
  random: () => number;
}): AfterHandler {
  const { outcome, deliveryCount, policy } = input;
  if (outcome.kind === 'ok')
    return { kind: 'reply', reply: { ok: true, result: outcome.result }, outcome: 'ok' };
  const f = outcome.failure;
  if (!f.retryable) {
    return {
      kind: 'reply',
      reply: { ok: false, code: f.code, message: f.message, retryable: false },
      outcome: 'terminal',
    };
  }
  if (deliveryCount >= policy.maxDeliver) {
    return { kind: 'dead-letter', reason: `max deliveries exceeded: ${f.code}: ${f.message}` };
  }
  return {
    kind: 'nak',
    delayMs: redeliveryDelay(deliveryCount, policy, input.random, f.retryAfterMs),
  };
}

/** Full-jitter exponential backoff; an explicit `retryAfterMs` from the handler is a floor. */
export function redeliveryDelay(
  deliveryCount: number,
  policy: RedeliveryPolicy,
  random: () => number,
  retryAfterMs?: number,
): number {
  const exponent = Math.min(Math.max(deliveryCount - 1, 0), 30);
  const cap = Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** exponent);
  const jittered = Math.floor(Math.min(Math.max(random(), 0), 1) * cap);
  return Math.max(jittered, Math.min(retryAfterMs ?? 0, MAX_RETRY_AFTER_MS));
}

/** An "overloaded" hint never parks a message for longer than this. */
const MAX_RETRY_AFTER_MS = 10 * 60_000;
