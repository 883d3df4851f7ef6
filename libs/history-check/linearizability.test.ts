/**
 * Hunts checker bugs both ways: a history that is not linearizable passing (a stale read after
 * a completed write, two readers seeing two writes in opposite orders, a value appearing from
 * nowhere), and a linearizable one flagged (an unknown-outcome write that took effect late, or
 * never; concurrent operations in any order). Generated histories of a real register must pass;
 * mutated small ones must get the same verdict as an exhaustive search. Rerun with HC_SEED.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '@seamline/retry-budget';
import type { HistoryEvent, Operation } from '@seamline/history-check';
import {
  checkLinearizable,
  checkRegular,
  fromEvents,
  HistoryRecorder,
} from '@seamline/history-check';
import { bruteForceLinearizable } from './test/brute-force.ts';
import { generateHistory, mutate } from './test/history-generator.ts';

const baseSeed = Number(process.env['HC_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
console.info(`[linearizability.test] base seed=${baseSeed} (rerun with HC_SEED=${baseSeed})`);

const inv = (process: string, kind: 'read' | 'write', key = 'x', value?: string): HistoryEvent =>
  value === undefined
    ? { type: 'invoke', process, key, kind }
    : { type: 'invoke', process, key, kind, value };
const ok = (process: string, value?: string): HistoryEvent =>
  value === undefined ? { type: 'ok', process } : { type: 'ok', process, value };
const info = (process: string): HistoryEvent => ({ type: 'info', process });
const fail = (process: string): HistoryEvent => ({ type: 'fail', process });

const verdict = (events: HistoryEvent[]) => checkLinearizable(fromEvents(events)).verdict;

describe('hand-written histories', () => {
  it('passes sequential writes and reads of the latest value', () => {
    expect(verdict([inv('a', 'write', 'x', '1'), ok('a'), inv('b', 'read'), ok('b', '1')])).toBe(
      'ok',
    );
  });

  it('flags a stale read after a completed write, and names the read that cannot be placed', () => {
    const ops = fromEvents([
      inv('a', 'write', 'x', '1'),
      ok('a'),
      inv('a', 'write', 'x', '2'),
      ok('a'),
      inv('b', 'read'),
      ok('b', '1'),
    ]);
    const result = checkLinearizable(ops);
    expect(result.verdict).toBe('violation');
    const key = result.keys[0]!;
    expect(key.explanation?.stuck?.id).toBe(2);
    expect(key.explanation?.longestPrefix.map((o) => o.id)).toEqual([0, 1]);
    expect(key.explanation?.message).toMatch(/#2 b read x -> "1"/);
  });

  it('passes a read concurrent with a write returning either the old or the new value', () => {
    for (const seen of ['0', '1']) {
      expect(
        verdict([
          inv('a', 'write', 'x', '0'),
          ok('a'),
          inv('a', 'write', 'x', '1'),
          inv('b', 'read'),
          ok('b', seen),
          ok('a'),
        ]),
      ).toBe('ok');
    }
  });

  it('flags a new-then-old pair of reads during one write', () => {
    // The second read began after the first returned the new value: it cannot see the old one.
    expect(
      verdict([
        inv('a', 'write', 'x', '0'),
        ok('a'),
        inv('a', 'write', 'x', '1'),
        inv('b', 'read'),
        ok('b', '1'),
        inv('c', 'read'),
        ok('c', '0'),
        ok('a'),
      ]),
    ).toBe('violation');
  });

  it('flags two readers that see two concurrent writes in opposite orders', () => {
    expect(
      verdict([
        inv('w1', 'write', 'x', '1'),
        inv('w2', 'write', 'x', '2'),
        inv('r1', 'read'),
        inv('r2', 'read'),
        ok('r1', '1'),
        ok('r2', '2'),
        inv('r1', 'read'),
        inv('r2', 'read'),
        ok('r1', '2'),
        ok('r2', '1'),
        ok('w1'),
        ok('w2'),
      ]),
    ).toBe('violation');
  });

  it('passes an unknown-outcome write whose value appears long after its client gave up', () => {
    expect(
      verdict([
        inv('a', 'write', 'x', '1'),
        info('a'),
        inv('b', 'read'),
        ok('b', null as unknown as string),
        inv('b', 'read'),
        ok('b', '1'),
      ]),
    ).toBe('ok');
  });

  it('passes an unknown-outcome write that never took effect', () => {
    expect(
      verdict([
        inv('a', 'write', 'x', '1'),
        info('a'),
        inv('b', 'read'),
        { type: 'ok', process: 'b', value: null },
      ]),
    ).toBe('ok');
  });

  it('flags a value that comes back after an unknown-outcome write was seen', () => {
    expect(
      verdict([
        inv('a', 'write', 'x', '0'),
        ok('a'),
        inv('a', 'write', 'x', '1'),
        info('a'),
        inv('b', 'read'),
        ok('b', '1'),
        inv('b', 'read'),
        ok('b', '0'),
      ]),
    ).toBe('violation');
  });

  it('flags a read of a value whose write failed (failed writes took no effect)', () => {
    expect(verdict([inv('a', 'write', 'x', '1'), fail('a'), inv('b', 'read'), ok('b', '1')])).toBe(
      'violation',
    );
  });

  it('checks keys independently and reports a verdict per key', () => {
    const result = checkLinearizable(
      fromEvents([
        inv('a', 'write', 'x', '1'),
        ok('a'),
        inv('a', 'write', 'y', '1'),
        ok('a'),
        inv('b', 'read', 'x'),
        ok('b', '1'),
        inv('b', 'read', 'y'),
        { type: 'ok', process: 'b', value: null },
      ]),
    );
    expect(result.keys.map((k) => [k.key, k.verdict])).toEqual([
      ['x', 'ok'],
      ['y', 'violation'],
    ]);
  });

  it('checks compare-and-set: a swap that reported success on another value is flagged', () => {
    const cas = (process: string, expected: string, value: string): HistoryEvent => ({
      type: 'invoke',
      process,
      key: 'x',
      kind: 'cas',
      expected,
      value,
    });
    expect(
      verdict([
        inv('a', 'write', 'x', '1'),
        ok('a'),
        cas('b', '1', '2'),
        ok('b'),
        inv('c', 'read'),
        ok('c', '2'),
      ]),
    ).toBe('ok');
    expect(verdict([inv('a', 'write', 'x', '1'), ok('a'), cas('b', '0', '2'), ok('b')])).toBe(
      'violation',
    );
    expect(
      verdict([
        inv('a', 'write', 'x', '1'),
        ok('a'),
        cas('b', '0', '2'),
        { type: 'ok', process: 'b', swapped: false },
      ]),
    ).toBe('ok');
  });

  it('records with the recorder: open operations count as unknown outcome', () => {
    const rec = new HistoryRecorder();
    const w = rec.invoke({ process: 'a', key: 'x', kind: 'write', value: '1' });
    const r = rec.invoke({ process: 'b', key: 'x', kind: 'read' });
    r.ok('1');
    const ops = rec.history();
    expect(ops[0]?.outcome).toBe('info');
    expect(ops[0]?.complete).toBe(Infinity);
    expect(checkLinearizable(ops).verdict).toBe('ok');
    w.ok();
    expect(() => w.ok()).toThrow(/completed twice/);
  });

  it('answers unknown, not a hang, when the step budget runs out', () => {
    // Many concurrent writes and a read that matches none: the search must try every order.
    const events: HistoryEvent[] = [];
    for (let i = 0; i < 14; i++) events.push(inv(`w${i}`, 'write', 'x', String(i)));
    events.push(inv('r', 'read'), ok('r', 'nope'));
    for (let i = 0; i < 14; i++) events.push(ok(`w${i}`));
    const result = checkLinearizable(fromEvents(events), { stepBudget: 500 });
    expect(result.verdict).toBe('unknown');
    expect(result.keys[0]?.steps).toBe(501);
  });
});

describe('generated histories', () => {
  it('passes every history of a real register under random concurrency (both checks)', () => {
    for (let n = 0; n < 300; n++) {
      const seed = baseSeed + n;
      const random = seededRandom(seed);
      const ops = generateHistory(random, {
        processes: 2 + Math.floor(random() * 5),
        keys: 1 + Math.floor(random() * 3),
        ops: 20 + Math.floor(random() * 80),
      });
      const lin = checkLinearizable(ops);
      expect(
        lin.verdict,
        `seed ${seed}: ${lin.keys.map((k) => k.explanation?.message).join('; ')}`,
      ).toBe('ok');
      const reg = checkRegular(ops);
      expect(
        reg.violations.map((v) => v.message),
        `seed ${seed}`,
      ).toEqual([]);
    }
  });

  it('decides a 3,000-operation history of 20 concurrent clients within the default budget', () => {
    const seed = baseSeed + 50_000;
    const ops = generateHistory(seededRandom(seed), {
      processes: 20,
      keys: 3,
      ops: 3_000,
      casRate: 0,
    });
    const started = performance.now();
    const result = checkLinearizable(ops);
    expect(result.verdict, `seed ${seed}`).toBe('ok');
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it('agrees with an exhaustive search on small mutated histories, and linearizable implies regular', () => {
    let violations = 0;
    for (let n = 0; n < 3000; n++) {
      const seed = baseSeed + 100_000 + n;
      const random = seededRandom(seed);
      const generated = generateHistory(random, {
        processes: 2 + Math.floor(random() * 3),
        keys: 1 + Math.floor(random() * 2),
        ops: 3 + Math.floor(random() * 5),
        infoRate: 0.2,
        failRate: 0.1,
        casRate: 0.2,
      });
      const ops: Operation[] = random() < 0.8 ? mutate(random, generated) : generated;
      const expected = bruteForceLinearizable(ops);
      const got = checkLinearizable(ops).verdict;
      expect(got, `seed ${seed}: ${JSON.stringify(ops)}`).toBe(expected ? 'ok' : 'violation');
      if (expected) expect(checkRegular(ops).verdict, `seed ${seed}`).toBe('ok');
      else violations += 1;
    }
    // The mutations must actually produce violations, or the comparison proves little.
    expect(violations).toBeGreaterThan(500);
  });
});
