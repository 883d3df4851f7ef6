/**
 * The client layer of attempts per logical effect: POST /orders requests per Idempotency-Key.
 *
 * Each request is counted once, by the replica that answers it: the leader for everything it
 * is handed (replays, 409 while in flight and 422 for another body included; each is a request
 * the client made for the effect), a follower only for what it answers itself (bad input, no
 * leader to hand it to). The edge deduplicates by key, so these requests multiply into the
 * downstream layer by one at most; that difference is the point of counting them separately.
 */
import type { AttemptCounterOptions } from '@seamline/retry-budget';
import { AttemptCounter } from '@seamline/retry-budget';
import { orderIdFor } from '../order-service.ts';

/** Options of {@link ClientAttempts}. */
export interface ClientAttemptsOptions {
  /** Told each order's final request count once it has gone idle (or was pushed out). */
  readonly observer: { onForget(orderId: string, total: number): void };
  /** Bounds and idle ttl of the per-key memory. @default AttemptCounter's (10 000 keys, 10 min) */
  readonly counter?: Omit<AttemptCounterOptions, 'onForget'>;
}

export class ClientAttempts {
  private readonly counter: AttemptCounter;

  constructor(options: ClientAttemptsOptions) {
    this.counter = new AttemptCounter({
      ...options.counter,
      onForget: (orderId, total) => options.observer.onForget(orderId, total),
    });
  }

  /** Idle time after which an order's count is forgotten (and observed), ms. */
  get ttlMs(): number {
    return this.counter.ttlMs;
  }

  /**
   * Counts one request for `idempotencyKey`. Kept under the order id the key maps to, so the
   * admin view finds it by the id clients see, and no raw key is held longer than needed.
   */
  record(idempotencyKey: string): void {
    this.counter.record(orderIdFor(idempotencyKey), 'client');
  }

  /** Requests counted for `orderId` on this replica (0 when none, or forgotten). */
  requests(orderId: string): number {
    return this.counter.attempts(orderId);
  }

  /** Forgets (and observes) orders idle past the ttl; call it from an unref'd interval. */
  sweep(): void {
    this.counter.sweep();
  }
}
