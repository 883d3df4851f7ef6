// Hunts: a budget that lets retries exceed `percentCanRetry x requests + floor` in some
// window (banked deposits spent in a burst, expiry off by a slice, rounding that loosens the
// bound), and the opposite bug, a budget that sheds retries the bound would allow.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError, RetryBudget } from '@seamline/retry-budget';

const seed = Number(process.env['FC_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
console.info(`[retry-budget.test] fast-check seed=${seed} (rerun with FC_SEED=${seed})`);

const SCALE = 1_000_000;
const T0 = 1_000_000;

interface Event {
  at: number;
  kind: 'request' | 'retry';
  granted: boolean;
}

const configArb = fc.record({
  percentCanRetry: fc.constantFrom(0, 0.1, 0.2, 1 / 3, 0.5, 1),
  minRetriesPerSec: fc.integer({ min: 0, max: 20 }),
  ttlMs: fc.integer({ min: 50, max: 5_000 }),
  slices: fc.integer({ min: 1, max: 16 }),
});

const stepsArb = fc.array(
  fc.record({
    // Mostly small gaps so windows are busy, sometimes a gap past the ttl.
    gap: fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: 0, max: 20 }) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 6_000 }) },
    ),
    kind: fc.constantFrom<'request' | 'retry'>('request', 'retry', 'retry'),
  }),
  { maxLength: 250 },
);

interface Config {
  percentCanRetry: number;
  minRetriesPerSec: number;
  ttlMs: number;
  slices: number;
}

function run(config: Config, steps: { gap: number; kind: 'request' | 'retry' }[]): Event[] {
  let now = T0;
  const budget = new RetryBudget({ ...config, clock: () => now });
  return steps.map(({ gap, kind }) => {
    now += gap;
    if (kind === 'request') {
      budget.deposit();
      return { at: now, kind, granted: true };
    }
    return { at: now, kind, granted: budget.tryWithdraw() };
  });
}

describe('RetryBudget', () => {
  it('never grants more retries in any ttl window than percentCanRetry x requests + floor', () => {
    fc.assert(
      fc.property(configArb, stepsArb, (config, steps) => {
        const events = run(config, steps);
        const floor = (config.minRetriesPerSec * config.ttlMs) / 1000;
        // With integer event times, (retries - p x requests) over [s, s+ttl) only changes
        // when s crosses e or e - ttl + 1 for some event e, so these starts cover every window.
        const starts = new Set(events.flatMap((e) => [e.at, e.at + 1, e.at - config.ttlMs + 1]));
        for (const s of starts) {
          const inWindow = events.filter((e) => e.at >= s && e.at < s + config.ttlMs);
          const retries = inWindow.filter((e) => e.kind === 'retry' && e.granted).length;
          const requests = inWindow.filter((e) => e.kind === 'request').length;
          // 1e-9 absorbs only the float product in this check; the budget itself rounds its
          // deposit and floor down to whole micro-tokens, which makes it stricter, not looser.
          expect(retries).toBeLessThanOrEqual(config.percentCanRetry * requests + floor + 1e-9);
        }
      }),
      { seed, numRuns: 300 },
    );
  });

  it('sheds a retry only when some suffix of the last ttl (+ one slice) would break the bound', () => {
    fc.assert(
      fc.property(configArb, stepsArb, (config, steps) => {
        const events = run(config, steps);
        const depositUnits = Math.floor(config.percentCanRetry * SCALE);
        const reserveUnits = Math.floor(config.minRetriesPerSec * config.ttlMs * 1000);
        const horizon = config.ttlMs + config.ttlMs / config.slices;
        events.forEach((shed, i) => {
          if (shed.kind !== 'retry' || shed.granted) return;
          let withdrawn = 0;
          let deposited = 0;
          let justified = (withdrawn + 1) * SCALE > reserveUnits; // the empty suffix
          for (let j = i - 1; j >= 0 && !justified; j--) {
            const e = events[j] as Event;
            if (e.at < shed.at - horizon) break;
            if (e.kind === 'request') deposited += 1;
            else if (e.granted) withdrawn += 1;
            justified = (withdrawn + 1) * SCALE > depositUnits * deposited + reserveUnits;
          }
          expect(justified, `retry #${i} at ${shed.at} was shed without cause`).toBe(true);
        });
      }),
      { seed, numRuns: 300 },
    );
  });

  it('grants exactly the floor (minRetriesPerSec x ttl) to a process with no traffic', () => {
    const now = T0;
    const budget = new RetryBudget({ clock: () => now });
    expect(budget.balance()).toBe(100);
    const granted = Array.from({ length: 150 }, () => budget.tryWithdraw()).filter(Boolean);
    expect(granted).toHaveLength(100);
    expect(budget.balance()).toBe(0);
  });

  it('lets about percentCanRetry of steady traffic retry when every request fails', () => {
    let now = T0;
    const budget = new RetryBudget({ clock: () => now });
    let granted = 0;
    // 1000 requests/s for 20 s, each followed by a retry attempt.
    for (let i = 0; i < 20_000; i++) {
      now = T0 + i;
      budget.deposit();
      if (budget.tryWithdraw()) granted += 1;
    }
    // Upper: two ttl windows of (0.2 x 10_000 + 100). Lower: the 20% must really be usable.
    expect(granted).toBeLessThanOrEqual(4_200);
    expect(granted).toBeGreaterThanOrEqual(4_000);
  });

  it('forgets withdrawals and deposits after ttl, restoring the floor', () => {
    let now = T0;
    const budget = new RetryBudget({ clock: () => now, minRetriesPerSec: 1, ttlMs: 1_000 });
    expect(budget.tryWithdraw()).toBe(true);
    expect(budget.tryWithdraw()).toBe(false);
    now += 1_000 + 1_000 / 10; // one ttl plus the straddling slice
    expect(budget.balance()).toBe(1);
    expect(budget.tryWithdraw()).toBe(true);
  });

  it('does not let deposits banked earlier fund a burst larger than the floor', () => {
    let now = T0;
    const budget = new RetryBudget({ clock: () => now });
    for (let i = 0; i < 5_000; i++) budget.deposit();
    now += 1;
    const burst = Array.from({ length: 1_000 }, () => budget.tryWithdraw()).filter(Boolean);
    // The window starting just after the deposits holds no requests, so only the floor.
    expect(burst).toHaveLength(100);
  });

  it('grants every retry when disabled, so amplification can be measured', () => {
    const now = T0;
    const budget = new RetryBudget({ clock: () => now, enabled: false });
    expect(Array.from({ length: 500 }, () => budget.tryWithdraw()).every(Boolean)).toBe(true);
  });

  it('ignores a clock that steps backwards instead of resurrecting expired slices', () => {
    let now = T0 + 60_000;
    const budget = new RetryBudget({ clock: () => now, minRetriesPerSec: 1, ttlMs: 1_000 });
    expect(budget.tryWithdraw()).toBe(true);
    now = T0;
    expect(budget.tryWithdraw()).toBe(false);
  });

  it('rejects out-of-range options naming the field', () => {
    expect(() => new RetryBudget({ percentCanRetry: -0.1 })).toThrow(InvalidOptionError);
    expect(() => new RetryBudget({ percentCanRetry: -0.1 })).toThrow(/percentCanRetry/);
    expect(() => new RetryBudget({ ttlMs: 0 })).toThrow(/ttlMs/);
    expect(() => new RetryBudget({ slices: 1.5 })).toThrow(/slices/);
    expect(() => new RetryBudget({ minRetriesPerSec: Number.NaN })).toThrow(/minRetriesPerSec/);
  });
});
