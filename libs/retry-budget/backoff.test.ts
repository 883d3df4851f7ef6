// Hunts: jitter outside [0, ceiling), a ceiling that overflows or ignores maxMs, a delay
// that lands on or past the deadline, and Retry-After being undercut.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Backoff, seededRandom } from '@seamline/retry-budget';

const seed = Number(process.env['FC_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
console.info(`[backoff.test] fast-check seed=${seed} (rerun with FC_SEED=${seed})`);

describe('Backoff', () => {
  it('keeps every delay within [0, min(maxMs, baseMs x factor^(n-1)))', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 1_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.integer(),
        (retry, baseMs, extra, factor, prngSeed) => {
          const backoff = new Backoff({
            baseMs,
            maxMs: baseMs + extra,
            factor,
            random: seededRandom(prngSeed),
          });
          const ceiling = Math.min(baseMs + extra, baseMs * factor ** (retry - 1));
          expect(backoff.ceilingMs(retry)).toBe(ceiling);
          const delay = backoff.delayMs(retry);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThan(Math.max(ceiling, 1));
        },
      ),
      { seed },
    );
  });

  it('doubles the ceiling from 50 ms and caps it at 5 s by default', () => {
    const backoff = new Backoff();
    expect([1, 2, 3, 4, 7, 8, 50, 5_000].map((n) => backoff.ceilingMs(n))).toEqual([
      50, 100, 200, 400, 3_200, 5_000, 5_000, 5_000,
    ]);
  });

  it('spreads delays over the whole interval (full jitter), not around its top', () => {
    const backoff = new Backoff({ random: seededRandom(42) });
    const delays = Array.from({ length: 10_000 }, () => backoff.delayMs(8));
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
    expect(mean).toBeGreaterThan(2_300);
    expect(mean).toBeLessThan(2_700);
    expect(Math.min(...delays)).toBeLessThan(100);
  });

  it('never schedules an attempt at or past the deadline, and honours Retry-After', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 20_000 }),
        fc.option(fc.integer({ min: 0, max: 20_000 }), { nil: undefined }),
        fc.integer(),
        (retry, budgetMs, retryAfterMs, prngSeed) => {
          const now = 1_000_000;
          const deadline = now + budgetMs;
          const backoff = new Backoff({ random: seededRandom(prngSeed) });
          const step = backoff.next(retry, {
            now,
            deadline,
            ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
          });
          if (step.kind === 'wait') {
            expect(now + step.delayMs).toBeLessThan(deadline);
            expect(step.delayMs).toBeGreaterThanOrEqual(retryAfterMs ?? 0);
          } else {
            // Refusing is only allowed when even Retry-After (or a zero wait) cannot fit.
            expect(budgetMs <= (retryAfterMs ?? 0) || budgetMs <= backoff.ceilingMs(retry)).toBe(
              true,
            );
          }
        },
      ),
      { seed },
    );
  });

  it('is reproducible from a seed', () => {
    const a = new Backoff({ random: seededRandom(7) });
    const b = new Backoff({ random: seededRandom(7) });
    const run = (x: Backoff) => [1, 2, 3, 4, 5].map((n) => x.delayMs(n));
    expect(run(a)).toEqual(run(b));
  });

  it('rejects a cap below the base, naming the field', () => {
    expect(() => new Backoff({ baseMs: 100, maxMs: 10 })).toThrow(/maxMs/);
    expect(() => new Backoff({ factor: 0.5 })).toThrow(/factor/);
  });
});
