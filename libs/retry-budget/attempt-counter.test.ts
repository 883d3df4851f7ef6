// Hunts: attempts lost or double-counted across layers, unbounded memory (keys that never
// leave), and a key whose final count is never reported, reported twice, or reported with
// totals other than what was recorded in its life.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AttemptCounter, InvalidOptionError } from '@seamline/retry-budget';

const seed = Number(process.env['FC_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
console.info(`[attempt-counter.test] fast-check seed=${seed} (rerun with FC_SEED=${seed})`);

type Forgotten = [key: string, total: number, byLayer: Record<string, number>];

/** A counter on a settable clock that collects every onForget call. */
function observed(options: { maxKeys?: number; ttlMs?: number } = {}) {
  const clock = { now: 0 };
  const forgotten: Forgotten[] = [];
  const counter = new AttemptCounter({
    ...options,
    clock: () => clock.now,
    onForget: (key, total, byLayer) => forgotten.push([key, total, { ...byLayer }]),
  });
  return { clock, forgotten, counter };
}

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

describe('AttemptCounter onForget', () => {
  it('reports an evicted key with its totals per layer, at the moment it is pushed out', () => {
    const { forgotten, counter } = observed({ maxKeys: 1 });
    counter.record('a', 'client');
    counter.record('a', 'orchestrator');
    expect(forgotten).toEqual([]);
    counter.record('b', 'client');
    expect(forgotten).toEqual([['a', 2, { client: 1, orchestrator: 1 }]]);
  });

  it('reports a key once its ttl passed, on sweep, although nothing else happens', () => {
    const { clock, forgotten, counter } = observed({ ttlMs: 1_000 });
    counter.record('a', 'first');
    counter.record('a', 'redelivery');
    clock.now = 999;
    counter.sweep();
    expect(forgotten).toEqual([]);
    clock.now = 1_000;
    counter.sweep();
    counter.sweep();
    expect(forgotten).toEqual([['a', 2, { first: 1, redelivery: 1 }]]);
    expect(counter.size).toBe(0);
  });

  it('reports an expired key found by a read once, and starts it afresh on the next record', () => {
    const { clock, forgotten, counter } = observed({ ttlMs: 100 });
    counter.record('a', 'l');
    clock.now = 100;
    expect(counter.attempts('a')).toBe(0);
    expect(counter.attemptsByLayer('a')).toEqual({});
    expect(forgotten).toEqual([['a', 1, { l: 1 }]]);
    expect(counter.record('a', 'l')).toBe(1);
    clock.now = 200;
    counter.sweep();
    expect(forgotten).toEqual([
      ['a', 1, { l: 1 }],
      ['a', 1, { l: 1 }],
    ]);
  });

  it('does not count an expired key on into its next life when the clock stepped back', () => {
    const { clock, forgotten, counter } = observed({ ttlMs: 100 });
    clock.now = 500;
    counter.record('late', 'l');
    clock.now = 0;
    counter.record('early', 'l'); // touched "before" late, yet most recent in LRU order
    clock.now = 150;
    expect(counter.record('early', 'l')).toBe(1);
    expect(forgotten).toEqual([['early', 1, { l: 1 }]]);
  });

  it('refuses an onForget that is not a function, naming the field', () => {
    expect(() => new AttemptCounter({ onForget: 42 as never })).toThrow(InvalidOptionError);
    expect(() => new AttemptCounter({ onForget: 42 as never })).toThrow(/onForget/);
  });

  type Op =
    | { kind: 'record'; key: string; layer: string }
    | { kind: 'advance'; ms: number }
    | { kind: 'sweep' }
    | { kind: 'read'; key: string };

  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('record' as const),
        key: fc.integer({ min: 0, max: 5 }).map((k) => `k${k}`),
        layer: fc.constantFrom('client', 'orchestrator', 'downstream'),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.nat(300) }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'sweep' as const }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('read' as const),
        key: fc.integer({ min: 0, max: 5 }).map((k) => `k${k}`),
      }),
    },
  );

  it('reports every recorded key exactly once per life, with exactly the attempts of that life', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 200 }),
        fc.array(op, { maxLength: 300 }),
        (maxKeys, ttlMs, ops) => {
          const { clock, forgotten, counter } = observed({ maxKeys, ttlMs });
          // Reference model: live keys in recency order with the attempts of their current life.
          type Life = { key: string; byLayer: Record<string, number>; touchedAt: number };
          let lives: Life[] = [];
          const expected: Forgotten[] = [];
          const end = (life: Life) => {
            lives = lives.filter((l) => l !== life);
            const total = Object.values(life.byLayer).reduce((a, b) => a + b, 0);
            expected.push([life.key, total, life.byLayer]);
          };
          const expireAll = () => {
            for (const life of [...lives]) if (clock.now - life.touchedAt >= ttlMs) end(life);
          };
          const recorded = new Map<string, number>();
          for (const o of ops) {
            if (o.kind === 'advance') clock.now += o.ms;
            else if (o.kind === 'sweep') {
              expireAll();
              counter.sweep();
            } else if (o.kind === 'read') {
              const life = lives.find((l) => l.key === o.key);
              if (life !== undefined && clock.now - life.touchedAt >= ttlMs) end(life);
              const total = lives.find((l) => l.key === o.key)?.byLayer;
              expect(counter.attemptsByLayer(o.key)).toEqual(total ?? {});
            } else {
              expireAll();
              const life = lives.find((l) => l.key === o.key) ?? {
                key: o.key,
                byLayer: {},
                touchedAt: clock.now,
              };
              life.byLayer = { ...life.byLayer, [o.layer]: (life.byLayer[o.layer] ?? 0) + 1 };
              life.touchedAt = clock.now;
              lives = [...lives.filter((l) => l !== life), life];
              while (lives.length > maxKeys) end(lives[0]!);
              recorded.set(o.key, (recorded.get(o.key) ?? 0) + 1);
              counter.record(o.key, o.layer);
            }
            expect(forgotten).toEqual(expected);
          }
          // Once everything has gone idle, every attempt ever recorded has been reported, once.
          clock.now += ttlMs;
          counter.sweep();
          expect(counter.size).toBe(0);
          const reported = new Map<string, number>();
          for (const [key, total, byLayer] of forgotten) {
            expect(Object.values(byLayer).reduce((a, b) => a + b, 0)).toBe(total);
            reported.set(key, (reported.get(key) ?? 0) + total);
          }
          expect(reported).toEqual(recorded);
        },
      ),
      { seed, numRuns: 500 },
    );
  });
});
