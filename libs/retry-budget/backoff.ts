import { finiteAtLeast, finitePositive, isFunction } from './option-checks.ts';

/** Options of {@link Backoff}; validated once in the constructor. */
export interface BackoffOptions {
  /** Ceiling of the first retry's delay, ms. @default 50 */
  baseMs?: number;
  /** Cap on any delay's ceiling, ms. @default 5_000 */
  maxMs?: number;
  /** Growth of the ceiling per retry. @default 2 */
  factor?: number;
  /** Uniform source in [0, 1); inject a seeded one in tests. @default Math.random */
  random?: () => number;
}

/** Where the next attempt stands: wait this long, or give up because time is out. */
export type BackoffStep = { kind: 'wait'; delayMs: number } | { kind: 'no-more-time' };

/**
 * Exponential backoff with full jitter: retry n waits uniformly in
 * [0, min(maxMs, baseMs x factor^(n-1))). Full jitter (rather than +/- a fraction) spreads
 * a synchronized burst of failures over the whole interval, so retries don't arrive as a
 * second synchronized burst.
 */
export class Backoff {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly factor: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = finitePositive('baseMs', options.baseMs ?? 50);
    this.maxMs = finiteAtLeast('maxMs', options.maxMs ?? 5_000, this.baseMs);
    this.factor = finiteAtLeast('factor', options.factor ?? 2, 1);
    this.random = options.random ?? Math.random;
    isFunction('random', this.random);
  }

  /** Upper bound of the delay before retry `retry` (1 = first retry). */
  ceilingMs(retry: number): number {
    const exponent = Math.max(0, retry - 1);
    return Math.min(this.maxMs, this.baseMs * this.factor ** exponent);
  }

  /** A jittered delay before retry `retry`, in [0, ceilingMs(retry)). */
  delayMs(retry: number): number {
    const r = this.random();
    return Math.floor(Math.min(Math.max(r, 0), 1) * this.ceilingMs(retry));
  }

  /**
   * The wait before retry `retry`, at least `retryAfterMs` when the server asked for it, or
   * 'no-more-time' when the attempt could not start before `deadline` (absolute epoch ms).
   * An attempt starting exactly at the deadline would have no time left, so it is refused.
   */
  next(retry: number, at: { now: number; deadline: number; retryAfterMs?: number }): BackoffStep {
    const delayMs = Math.max(this.delayMs(retry), at.retryAfterMs ?? 0);
    if (at.now + delayMs >= at.deadline) return { kind: 'no-more-time' };
    return { kind: 'wait', delayMs };
  }
}
