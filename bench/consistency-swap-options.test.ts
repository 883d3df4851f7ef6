/**
 * Hunts bugs in the bench's command line: a typo'd flag silently ignored, a bad number turning
 * into NaN load, a seed that does not replay, and mode settings drifting from the brief's
 * (eventual W=1 R=1, quorum and linearizable W=2 R=2, N=3).
 */
import { describe, expect, it } from 'vitest';
import { checkQuorumSizes } from '@seamline/quorum-store';
import { SWAP_MODES, parseConsistencySwapArgs } from './consistency-swap-options.ts';

describe('the command line', () => {
  it('fills the documented defaults and draws a fresh seed when none is given', () => {
    const o = parseConsistencySwapArgs([]);
    expect(o).toMatchObject({
      rate: 50,
      seconds: 8,
      healedSeconds: 12,
      skus: 300,
      replicaTimeoutMs: 1000,
    });
    expect(Number.isSafeInteger(o.seed) && o.seed > 0).toBe(true);
  });

  it('keeps the seed it is given, so a run replays', () => {
    const o = parseConsistencySwapArgs(['--seed', '42', '--rate', '20', '--seconds', '2.5']);
    expect(o).toMatchObject({ seed: 42, rate: 20, seconds: 2.5 });
  });

  it('names the flag of a bad value', () => {
    expect(() => parseConsistencySwapArgs(['--rate', 'fast'])).toThrow(/--rate/);
    expect(() => parseConsistencySwapArgs(['--skus', '2.5'])).toThrow(
      /--skus must be a positive integer/,
    );
    expect(() => parseConsistencySwapArgs(['--seconds', '0'])).toThrow(/--seconds/);
    expect(() => parseConsistencySwapArgs(['--seed', '-1'])).toThrow(/--seed/);
  });

  it('refuses an unknown flag instead of ignoring it', () => {
    expect(() => parseConsistencySwapArgs(['--rates', '10'])).toThrow();
  });
});

describe('the compared modes', () => {
  it('are the brief’s three, each accepted by the store at N = 3', () => {
    expect(SWAP_MODES.map((m) => [m.consistency, m.writeQuorum, m.readQuorum])).toEqual([
      ['eventual', 1, 1],
      ['quorum', 2, 2],
      ['linearizable', 2, 2],
    ]);
    for (const m of SWAP_MODES)
      expect(checkQuorumSizes(3, m.writeQuorum, m.readQuorum, m.consistency)).toBeUndefined();
  });
});
