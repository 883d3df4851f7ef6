/**
 * The retry storm's arithmetic, pure: per-second series from timestamped events, the retry
 * budget's bound checked over every window, and the time the downstream took to recover.
 *
 * The bound (design brief, invariant 5): in every window of length ttl, attempts to a
 * downstream <= (1 + percentCanRetry) x requests + minRetriesPerSec x ttl, i.e.
 * retries <= percentCanRetry x requests + floor. The budget enforces it on its own clock, at
 * the instant it grants a retry; the tap sees the command when it is published, a little later
 * (a re-drive persists the saga first). So the check counts retries over windows one guard
 * shorter than ttl, and requests over the same window widened by the guard before and a small
 * slack after: a retry granted at b and seen at b + d (d <= guard) then lies in a budget window
 * of length <= ttl whose requests are all counted. Larger publish delays than the guard would
 * make the check stricter, never looser.
 */

export interface BoundParams {
  readonly percentCanRetry: number;
  readonly minRetriesPerSec: number;
  readonly ttlMs: number;
  /** @default 1_000 */
  readonly guardMs?: number;
  /** @default 250 */
  readonly slackMs?: number;
  /**
   * How many processes sent in [from, to): each has a budget of its own, so the floor counts
   * once per sender (a leader change inside a window). @default always 1
   */
  readonly senders?: (from: number, to: number) => number;
}

export interface BoundWindow {
  /** Window start, epoch ms; retries are counted in [start, start + ttl - guard). */
  readonly start: number;
  readonly retries: number;
  readonly requests: number;
  /** Processes that sent in the window. */
  readonly senders: number;
  /** percentCanRetry x requests + senders x floor. */
  readonly allowed: number;
}

export interface BoundCheck {
  readonly ok: boolean;
  readonly windows: number;
  /** The window with the largest retries - allowed. */
  readonly worst: BoundWindow | undefined;
  /** retries - allowed in that window (> 0 = the bound is broken). */
  readonly excess: number;
}

/** Checks every distinct window (each one starting where its content changes). */
export function checkRetryBound(
  requests: readonly number[],
  retries: readonly number[],
  p: BoundParams,
): BoundCheck {
  const guard = p.guardMs ?? 1_000;
  const slack = p.slackMs ?? 250;
  const span = p.ttlMs - guard;
  if (span <= 0) throw new RangeError('guardMs must be shorter than ttlMs');
  const floor = (p.minRetriesPerSec * p.ttlMs) / 1000;
  const req = [...requests].sort((a, b) => a - b);
  const ret = [...retries].sort((a, b) => a - b);
  // Window content changes only where an event enters or leaves it.
  const starts = new Set<number>();
  for (const t of ret) starts.add(t).add(t - span + 1);
  for (const t of req) starts.add(t + guard + 1).add(t - span - slack);
  let worst: BoundWindow | undefined;
  let excess = Number.NEGATIVE_INFINITY;
  for (const start of starts) {
    const r = countIn(ret, start, start + span);
    if (r === 0) continue;
    const q = countIn(req, start - guard, start + span + slack);
    const senders = Math.max(1, p.senders?.(start - guard, start + span + slack) ?? 1);
    const allowed = p.percentCanRetry * q + senders * floor;
    if (r - allowed > excess) {
      excess = r - allowed;
      worst = { start, retries: r, requests: q, senders, allowed };
    }
  }
  if (worst === undefined) return { ok: true, windows: starts.size, worst, excess: -floor };
  // 1e-9: the product above is a float; the budget itself counts in integers.
  return { ok: excess <= 1e-9, windows: starts.size, worst, excess };
}

/** Events in [from, to). `sorted` ascending. */
export function countIn(sorted: readonly number[], from: number, to: number): number {
  return lowerBound(sorted, to) - lowerBound(sorted, from);
}

function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Counts per whole second since `t0`, for `seconds` seconds. */
export function perSecond(times: readonly number[], t0: number, seconds: number): number[] {
  const out = new Array<number>(seconds).fill(0);
  for (const t of times) {
    const i = Math.floor((t - t0) / 1000);
    if (i >= 0 && i < seconds) out[i]! += 1;
  }
  return out;
}

/** Per-second increases of a cumulative counter sampled at `samples` (time, value). */
export function perSecondDeltas(
  samples: readonly { at: number; value: number }[],
  t0: number,
  seconds: number,
): number[] {
  const out = new Array<number>(seconds).fill(0);
  for (let i = 1; i < samples.length; i++) {
    const prev = samples[i - 1]!;
    const cur = samples[i]!;
    const k = Math.floor((cur.at - t0) / 1000);
    // A restarted process resets its counters: a drop is not negative traffic.
    if (k >= 0 && k < seconds) out[k]! += Math.max(0, cur.value - prev.value);
  }
  return out;
}

/** Sum over every window of `windowS` seconds ending at each second (the trailing window). */
export function trailing(series: readonly number[], windowS: number): number[] {
  let sum = 0;
  return series.map((v, i) => {
    sum += v - (i >= windowS ? series[i - windowS]! : 0);
    return sum;
  });
}

export interface Recovery {
  /** Completions per second before the fault (mean over the given seconds). */
  readonly baseline: number;
  /** Seconds from the fault's end until a 3-second stretch averages >= share x baseline; undefined = never. */
  readonly afterS: number | undefined;
}

/**
 * When the downstream was back: the first second k at or after the fault's end from which
 * three seconds average at least `share` of the pre-fault rate.
 */
export function recoveryTime(
  completions: readonly number[],
  baselineSeconds: readonly [number, number],
  faultEndS: number,
  share = 0.9,
): Recovery {
  const [from, to] = baselineSeconds;
  const base = completions.slice(from, to);
  const baseline = base.reduce((a, b) => a + b, 0) / Math.max(1, base.length);
  for (let k = Math.floor(faultEndS); k + 3 <= completions.length; k++) {
    const avg = (completions[k]! + completions[k + 1]! + completions[k + 2]!) / 3;
    if (avg >= share * baseline) return { baseline, afterS: Math.max(0, k - faultEndS) };
  }
  return { baseline, afterS: undefined };
}
