import { finiteAtLeast, finitePositive, integerAtLeast, isFunction } from './option-checks.ts';

/** Options of one {@link RetryBudget}; validated once in the constructor. */
export interface RetryBudgetOptions {
  /** Name of the downstream this budget guards (metric label). @default 'default' */
  downstream?: string;
  /** Tokens each request deposits: retries may add this fraction of traffic. @default 0.2 */
  percentCanRetry?: number;
  /** Floor of retries per second granted even with no traffic. @default 10 */
  minRetriesPerSec?: number;
  /** How long deposits (and withdrawals) count, in ms. @default 10_000 */
  ttlMs?: number;
  /** Number of time slices the ttl window is cut into; memory and cost are O(slices). @default 10 */
  slices?: number;
  /** false turns shedding off (every retry allowed) to measure amplification. @default true */
  enabled?: boolean;
  /** Injected clock, epoch ms. @default Date.now */
  clock?: () => number;
}

// Fixed-point units keep the arithmetic exact: a token is SCALE units, and the per-request
// deposit and the reserve are rounded DOWN to whole units, so rounding can only make the
// budget stricter than the real-valued bound, never looser.
const SCALE = 1_000_000;

interface Slice {
  index: number;
  /** Sum over the slice's events of (+SCALE per withdrawal, -deposit per request). */
  net: number;
  /** Max over the slice's suffixes (the empty one included) of that same sum. */
  peak: number;
}

/**
 * A retry token bucket for one downstream, shared by every caller in the process.
 *
 * Guarantee: for every window of length `ttlMs`, withdrawals succeeding in it are at most
 * `percentCanRetry x deposits in it + minRetriesPerSec x ttlMs/1000`. A withdrawal at time t
 * is granted only if that bound still holds, after it, for every window ending at t — i.e.
 * for every suffix of the last ttl of events. Each slice keeps its net sum and its best
 * suffix sum, so the check is exact within slices and costs O(slices), not O(events). The one
 * approximation is the oldest slice, which straddles `t - ttl`: it is checked whole, which
 * can only shed more.
 */
export class RetryBudget {
  readonly downstream: string;
  readonly percentCanRetry: number;
  readonly minRetriesPerSec: number;
  readonly ttlMs: number;
  readonly slices: number;
  readonly enabled: boolean;

  private readonly clock: () => number;
  private readonly depositUnits: number;
  private readonly reserveUnits: number;
  private readonly ring: Slice[];
  private lastNow = Number.NEGATIVE_INFINITY;

  constructor(options: RetryBudgetOptions = {}) {
    this.downstream = options.downstream ?? 'default';
    this.percentCanRetry = finiteAtLeast('percentCanRetry', options.percentCanRetry ?? 0.2, 0);
    this.minRetriesPerSec = finiteAtLeast('minRetriesPerSec', options.minRetriesPerSec ?? 10, 0);
    this.ttlMs = finitePositive('ttlMs', options.ttlMs ?? 10_000);
    this.slices = integerAtLeast('slices', options.slices ?? 10, 1);
    this.enabled = options.enabled ?? true;
    this.clock = options.clock ?? Date.now;
    isFunction('clock', this.clock);

    this.depositUnits = Math.floor(this.percentCanRetry * SCALE);
    this.reserveUnits = Math.floor(this.minRetriesPerSec * this.ttlMs * (SCALE / 1000));
    if (!Number.isSafeInteger(this.reserveUnits)) {
      throw new RangeError('minRetriesPerSec x ttlMs is too large to account exactly');
    }
    // slices + 1 entries: the window (t - ttl, t] touches the current slice and `slices`
    // older ones.
    this.ring = Array.from({ length: this.slices + 1 }, () => ({
      index: Number.NaN,
      net: 0,
      peak: 0,
    }));
  }

  /** Records one request (a first attempt). Call exactly once per logical request. */
  deposit(): void {
    this.apply(-this.depositUnits, this.now());
  }

  /**
   * Takes one token for a retry. false means the budget is spent: shed the retry.
   */
  tryWithdraw(): boolean {
    const now = this.now();
    if (this.enabled && this.worstSuffix(now) + SCALE > this.reserveUnits) return false;
    this.apply(SCALE, now);
    return true;
  }

  /** Retries available right now (may be fractional); for the balance gauge. */
  balance(): number {
    return (this.reserveUnits - this.worstSuffix(this.now())) / SCALE;
  }

  // A clock that steps backwards must not resurrect expired slices or reorder events.
  private now(): number {
    const t = this.clock();
    if (t > this.lastNow) this.lastNow = t;
    return this.lastNow;
  }

  private sliceIndex(now: number): number {
    return Math.floor((now * this.slices) / this.ttlMs);
  }

  private apply(units: number, now: number): void {
    const index = this.sliceIndex(now);
    const slot = this.slot(index);
    if (slot.index !== index) {
      slot.index = index;
      slot.net = 0;
      slot.peak = 0;
    }
    slot.net += units;
    slot.peak = Math.max(slot.peak + units, 0);
  }

  private slot(index: number): Slice {
    const n = this.ring.length;
    return this.ring[((index % n) + n) % n] as Slice;
  }

  /** max over suffixes s of the live window of (withdrawn - deposited) in units; >= 0. */
  private worstSuffix(now: number): number {
    const current = this.sliceIndex(now);
    let worst = 0;
    let newer = 0;
    for (let index = current; index >= current - this.slices; index--) {
      const slot = this.slot(index);
      if (slot.index !== index) continue;
      worst = Math.max(worst, slot.peak + newer);
      newer += slot.net;
    }
    return worst;
  }
}
