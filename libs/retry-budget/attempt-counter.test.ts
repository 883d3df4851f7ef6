// Hunts: attempts lost or double-counted across layers, and unbounded memory (keys that
// never leave).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AttemptCounter } from '@seamline/retry-budget';

const seed = Number(process.env['FC_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
console.info(`[attempt-counter.test] fast-check seed=${seed} (rerun with FC_SEED=${seed})`);

describe('AttemptCounter', () => {
  it('counts attempts per key across layers and per layer', () => {
    const counter = new AttemptCounter({ clock: () => 0 });
    counter.record('saga-1:charge:do', 'client');
    counter.record('saga-1:charge:do', 'client');
    counter.record('saga-1:charge:do', 'bus');
    counter.record('saga-2:charge:do', 'orchestrator');
    expect(counter.attempts('saga-1:charge:do')).toBe(3);
    expect(counter.attemptsByLayer('saga-1:charge:do')).toEqual({ client: 2, bus: 1 });
    expect(counter.attempts('saga-2:charge:do')).toBe(1);
    expect(counter.attempts('unknown')).toBe(0);
  });

  it('evicts the least recently touched key beyond maxKeys', () => {
    const counter = new AttemptCounter({ maxKeys: 2, clock: () => 0 });
    counter.record('a', 'l');
    counter.record('b', 'l');
    counter.record('a', 'l'); // a is now the most recent
    counter.record('c', 'l');
    expect(counter.attempts('b')).toBe(0);
    expect(counter.attempts('a')).toBe(2);
    expect(counter.attempts('c')).toBe(1);
  });

  it('forgets a key idle for ttlMs', () => {
    let now = 0;
    const counter = new AttemptCounter({ ttlMs: 1_000, clock: () => now });
    counter.record('a', 'l');
    now = 999;
    expect(counter.attempts('a')).toBe(1);
    now = 1_999;
    expect(counter.attempts('a')).toBe(0);
    expect(counter.size).toBe(0);
  });

  it('matches a reference LRU model: bounded size, exact counts for remembered keys', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 12 }), fc.constantFrom('a', 'b', 'c')), {
          maxLength: 200,
        }),
        (maxKeys, records) => {
          const counter = new AttemptCounter({ maxKeys, clock: () => 0 });
          // Model: keys in recency order (last = most recent) with their totals.
          let model: [string, number][] = [];
          for (const [k, layer] of records) {
            const key = `k${k}`;
            const previous = model.find(([m]) => m === key)?.[1] ?? 0;
            model = [...model.filter(([m]) => m !== key), [key, previous + 1] as [string, number]];
            model = model.slice(-maxKeys);
            expect(counter.record(key, layer)).toBe(previous + 1);
            expect(counter.size).toBe(model.length);
          }
          for (let k = 0; k <= 12; k++) {
            const key = `k${k}`;
            expect(counter.attempts(key)).toBe(model.find(([m]) => m === key)?.[1] ?? 0);
          }
        },
      ),
      { seed },
    );
  });
});
