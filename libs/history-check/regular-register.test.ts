/**
 * Hunts regular-register check bugs: a stale read after a completed write passing, a client not
 * reading its own completed write passing (read-your-writes), a value from the future passing,
 * and the opposite: the new-then-old inversion a regular register allows being flagged.
 */
import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '@seamline/history-check';
import { checkLinearizable, checkRegular, fromEvents } from '@seamline/history-check';
import { seededRandom } from '@seamline/retry-budget';
import { simulateQuorum } from './test/quorum-simulation.ts';

const w = (process: string, value: string): HistoryEvent => ({
  type: 'invoke',
  process,
  key: 'x',
  kind: 'write',
  value,
});
const r = (process: string): HistoryEvent => ({ type: 'invoke', process, key: 'x', kind: 'read' });
const ok = (process: string, value?: string | null): HistoryEvent =>
  value === undefined ? { type: 'ok', process } : { type: 'ok', process, value };

describe('regular register check', () => {
  it('allows a new-then-old inversion during a write, which linearizability forbids', () => {
    const ops = fromEvents([
      w('a', '0'),
      ok('a'),
      w('a', '1'),
      r('b'),
      ok('b', '1'),
      r('c'),
      ok('c', '0'),
      ok('a'),
    ]);
    expect(checkRegular(ops).verdict).toBe('ok');
    expect(checkLinearizable(ops).verdict).toBe('violation');
  });

  it('flags a stale read after a completed write by another client', () => {
    const result = checkRegular(
      fromEvents([w('a', '0'), ok('a'), w('a', '1'), ok('a'), r('b'), ok('b', '0')]),
    );
    expect(result.violations.map((v) => v.kind)).toEqual(['stale-read']);
    expect(result.violations[0]?.overwrittenBy?.value).toBe('1');
  });

  it('flags a client that does not read its own completed write as read-your-writes', () => {
    const result = checkRegular(
      fromEvents([w('a', '0'), ok('a'), w('b', '1'), ok('b'), r('b'), ok('b', '0')]),
    );
    expect(result.violations.map((v) => v.kind)).toEqual(['read-your-writes']);
  });

  it('flags the initial value read after a completed write', () => {
    expect(checkRegular(fromEvents([w('a', '1'), ok('a'), r('b'), ok('b', null)])).verdict).toBe(
      'violation',
    );
  });

  it('flags a value whose write began only after the read ended', () => {
    const result = checkRegular(fromEvents([r('b'), ok('b', '1'), w('a', '1'), ok('a')]));
    expect(result.violations.map((v) => v.kind)).toEqual(['phantom-read']);
  });

  it('keeps an unknown-outcome write a candidate for every later read, and never lets it overwrite', () => {
    const events: HistoryEvent[] = [
      w('a', '0'),
      ok('a'),
      w('a', '1'),
      { type: 'info', process: 'a' },
      r('b'),
      ok('b', '1'),
      r('b'),
      ok('b', '0'),
      r('b'),
      ok('b', '1'),
    ];
    expect(checkRegular(fromEvents(events)).verdict).toBe('ok');
    expect(checkLinearizable(fromEvents(events)).verdict).toBe('violation');
  });

  it('never takes a failed write as a candidate', () => {
    expect(
      checkRegular(fromEvents([w('a', '1'), { type: 'fail', process: 'a' }, r('b'), ok('b', '1')]))
        .verdict,
    ).toBe('violation');
  });
});

describe('regular register check against a simulated quorum without write-back', () => {
  const baseSeed = Number(process.env['HC_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
  console.info(`[regular-register.test] base seed=${baseSeed} (rerun with HC_SEED=${baseSeed})`);
  const model = { replicas: 3, clients: 4, opsPerClient: 25, keys: 2 };

  it('passes every history when R + W > N, while linearizability is broken in some', () => {
    let notLinearizable = 0;
    for (let n = 0; n < 200; n++) {
      const seed = baseSeed + n;
      const ops = simulateQuorum(seededRandom(seed), { ...model, writeQuorum: 2, readQuorum: 2 });
      const result = checkRegular(ops);
      expect(
        result.violations.map((v) => v.message),
        `seed ${seed}`,
      ).toEqual([]);
      if (checkLinearizable(ops).verdict === 'violation') notLinearizable += 1;
    }
    console.info(`[regular-register.test] R=W=2: ${notLinearizable}/200 not linearizable`);
    // The model does produce the new-then-old inversions that set the two properties apart.
    expect(notLinearizable).toBeGreaterThan(0);
  });

  it('flags stale reads when R + W <= N', () => {
    let flagged = 0;
    for (let n = 0; n < 200; n++) {
      const seed = baseSeed + 10_000 + n;
      const ops = simulateQuorum(seededRandom(seed), { ...model, writeQuorum: 1, readQuorum: 1 });
      if (checkRegular(ops).verdict === 'violation') {
        flagged += 1;
        // Anything not regular is not linearizable either.
        expect(checkLinearizable(ops).verdict, `seed ${seed}`).toBe('violation');
      }
    }
    console.info(`[regular-register.test] R=W=1: ${flagged}/200 flagged`);
    expect(flagged).toBeGreaterThan(20);
  });
});
