/**
 * The downstream layer of attempts per logical effect: every command that reaches a handler of
 * this service, counted per effect idempotency key and by why it came. The orchestrator's
 * re-sends and the bus's redeliveries multiply here, so these arrivals are the realized product
 * of both, whatever each layer believes it sent. Deduplicated replays count: they are work the
 * receiver did, even though they had no second effect.
 */
import type { BusCommand } from '@seamline/bus';
import type { ArrivalCause } from '@seamline/observability';
import type { AttemptCounterOptions } from '@seamline/retry-budget';
import { AttemptCounter } from '@seamline/retry-budget';

/** What `GET /ops/attempts/:key` answers: one effect key's arrivals while it is remembered. */
export interface ArrivalsView {
  readonly key: string;
  readonly total: number;
  readonly byCause: Readonly<Record<ArrivalCause, number>>;
  /** Highest orchestrator send number (`Seamline-Attempt`) that arrived. */
  readonly maxSend: number;
}

/** Metric hooks (`effectArrivalsObserver` + `effectAttemptsObserver(m, 'downstream')`). */
export interface ArrivalsObserver {
  onArrival(operation: string, cause: ArrivalCause): void;
  /** The key went idle or was pushed out: `total` is its final arrival count. */
  onForget(key: string, total: number): void;
}

/** Options of {@link EffectArrivals}. */
export interface EffectArrivalsOptions {
  readonly observer: ArrivalsObserver;
  /** Bounds and idle ttl of the per-key memory. @default AttemptCounter's (10 000 keys, 10 min) */
  readonly counter?: Omit<AttemptCounterOptions, 'onForget'>;
}

/**
 * Why a command reached the handler. A redelivery of a re-send is a redelivery: the delivery
 * count says the bus repeated it, whichever send it was.
 */
export function arrivalCause(
  cmd: Pick<BusCommand<unknown>, 'attempt' | 'deliveryCount'>,
): ArrivalCause {
  if (cmd.deliveryCount > 1) return 'redelivery';
  return cmd.attempt > 1 ? 'resend' : 'first';
}

/** Counts arrivals per effect key; each key's total becomes one sample once it goes idle. */
export class EffectArrivals {
  private readonly counter: AttemptCounter;
  private readonly maxSend = new Map<string, number>();
  private readonly observer: ArrivalsObserver;

  constructor(options: EffectArrivalsOptions) {
    this.observer = options.observer;
    this.counter = new AttemptCounter({
      ...options.counter,
      onForget: (key, total) => {
        this.maxSend.delete(key);
        this.observer.onForget(key, total);
      },
    });
  }

  /** Idle time after which a key is forgotten (and observed), ms. */
  get ttlMs(): number {
    return this.counter.ttlMs;
  }

  /** Records one arrival of `cmd` at the handler of `operation`. */
  arrived(cmd: BusCommand<unknown>, operation: string): void {
    const cause = arrivalCause(cmd);
    const key = cmd.idempotencyKey;
    // Recording first: a key that had expired is forgotten (with its maxSend) before it restarts.
    this.counter.record(key, cause);
    this.maxSend.set(key, Math.max(this.maxSend.get(key) ?? 0, cmd.attempt));
    this.observer.onArrival(operation, cause);
  }

  /** `key`'s arrivals, or undefined when never seen or already forgotten. */
  view(key: string): ArrivalsView | undefined {
    const byLayer = this.counter.attemptsByLayer(key);
    const total = this.counter.attempts(key);
    if (total === 0) return undefined;
    return {
      key,
      total,
      byCause: {
        first: byLayer['first'] ?? 0,
        resend: byLayer['resend'] ?? 0,
        redelivery: byLayer['redelivery'] ?? 0,
      },
      maxSend: this.maxSend.get(key) ?? 0,
    };
  }

  /** Forgets (and observes) keys idle past the ttl; call it from an unref'd interval. */
  sweep(): void {
    this.counter.sweep();
  }
}
