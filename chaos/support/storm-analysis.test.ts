/**
 * The storm arithmetic the retry-storm test leans on. Hunts: a bound check that misses the
 * one bad window (it must look at every window, not fixed 10 s buckets), one that blames a
 * window for requests it did not count, per-second series off by a bucket, and a recovery
 * time that reports a recovery the data does not show.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkRetryBound,
  countIn,
  perSecond,
  perSecondDeltas,
  recoveryTime,
  trailing,
} from './storm-analysis.ts';

const params = {
  percentCanRetry: 0.2,
  minRetriesPerSec: 1,
  ttlMs: 10_000,
  guardMs: 1_000,
  slackMs: 0,
};

describe('checkRetryBound', () => {
  it('accepts retries up to the floor with no requests, and refuses one more', () => {
    const at = (n: number) => Array.from({ length: n }, (_, i) => 1_000 + i * 10);
    expect(checkRetryBound([], at(10), params).ok).toBe(true);
    const over = checkRetryBound([], at(11), params);
    expect(over.ok).toBe(false);
    expect(over.excess).toBeCloseTo(1);
    expect(over.worst).toMatchObject({ retries: 11, requests: 0, allowed: 10 });
    // Two leaders in the window: two budgets, two floors.
    expect(checkRetryBound([], at(11), { ...params, senders: () => 2 }).ok).toBe(true);
  });

  it('finds a burst that straddles any fixed 10 s bucket boundary', () => {
    // 6 retries just before 10 s and 6 just after: each fixed bucket holds 6 (<= 10), but the
    // sliding window around the boundary holds 12.
    const retries = [
      ...Array.from({ length: 6 }, (_, i) => 9_900 + i),
      ...Array.from({ length: 6 }, (_, i) => 10_100 + i),
    ];
    expect(checkRetryBound([], retries, params)).toMatchObject({
      ok: false,
      worst: { retries: 12 },
    });
  });

  it('credits requests inside the widened window, and only those', () => {
    const retries = Array.from({ length: 14 }, (_, i) => 20_000 + i);
    // 20 requests just before the burst fund 4 more retries in every window holding part of
    // it: 14 <= 0.2 x 20 + 10. (Requests after a retry never fund it, as in the budget.)
    const inside = Array.from({ length: 20 }, (_, i) => 19_000 + i * 50);
    expect(checkRetryBound(inside, retries, params).ok).toBe(true);
    // The same requests 5 s earlier are outside every window holding the retries.
    expect(
      checkRetryBound(
        inside.map((t) => t - 5_000),
        retries,
        params,
      ).ok,
    ).toBe(false);
  });

  it('never passes traffic whose retries exceed the bound in some exact ttl window (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 60_000 }), { maxLength: 80 }),
        fc.array(fc.integer({ min: 0, max: 60_000 }), { maxLength: 80 }),
        (requests, retries) => {
          const check = checkRetryBound(requests, retries, params);
          // Brute force over 1 ms steps of the retry-window start, same window shapes.
          const span = params.ttlMs - params.guardMs;
          const sortedR = [...retries].sort((a, b) => a - b);
          const sortedQ = [...requests].sort((a, b) => a - b);
          let broken = false;
          for (const r of sortedR) {
            for (let s = r - span + 1; s <= r; s += 97) {
              const n = countIn(sortedR, s, s + span);
              const q = countIn(sortedQ, s - params.guardMs, s + span);
              if (n > 0.2 * q + 10 + 1e-9) broken = true;
            }
          }
          if (broken) expect(check.ok).toBe(false);
        },
      ),
    );
  });
});

describe('series', () => {
  it('buckets events by whole seconds since t0', () => {
    expect(perSecond([1_000, 1_999, 2_000, 4_500, 999], 1_000, 4)).toEqual([2, 1, 0, 1]);
  });

  it('turns a cumulative counter into per-second increases, ignoring a reset', () => {
    const samples = [
      { at: 1_000, value: 5 },
      { at: 2_000, value: 9 },
      { at: 3_000, value: 2 },
      { at: 4_000, value: 7 },
    ];
    expect(perSecondDeltas(samples, 1_000, 4)).toEqual([0, 4, 0, 5]);
  });

  it('sums trailing windows', () => {
    expect(trailing([1, 2, 3, 4, 5], 2)).toEqual([1, 3, 5, 7, 9]);
  });
});

describe('recoveryTime', () => {
  const series = [10, 10, 10, 10, 0, 0, 0, 2, 9, 10, 11, 10];
  it('measures from the fault end to the first 3 s stretch near the old rate', () => {
    expect(recoveryTime(series, [0, 4], 6.5)).toEqual({ baseline: 10, afterS: 1.5 });
  });
  it('says never when the rate does not come back', () => {
    expect(recoveryTime([10, 10, 0, 0, 0, 0], [0, 2], 2).afterS).toBeUndefined();
  });
});
