/**
 * Hunts bugs in the peer bench's command line that would run something other than what was
 * asked: --quick overriding explicit flags, the default levels drifting from 1, 10, 50, 100, a
 * Restate configuration parsed as the wrong partition count, and bad values accepted silently.
 */
import { describe, expect, it } from 'vitest';
import { BenchUsageError } from './bench-cli.ts';
import { configLabel, parsePeerArgs } from './peer-options.ts';

describe('parsePeerArgs', () => {
  it('defaults to levels 1, 10, 50, 100, 30 s each, both systems, Restate defaults and 2 partitions', () => {
    const o = parsePeerArgs([], 42);
    expect(o.levels).toEqual([1, 10, 50, 100]);
    expect(o.seconds).toBe(30);
    expect(o.systems).toEqual(['seamline', 'restate']);
    expect(o.restateConfigs).toEqual(['default', 2]);
    expect(o.seed).toBe(42);
    expect(o.docs).toBe(false);
    expect(o.outDir).toBe('.seamline/bench');
  });

  it('makes --quick a short run whose explicit flags still win', () => {
    const quick = parsePeerArgs(['--quick'], 1);
    expect([quick.levels, quick.seconds, quick.warmupSeconds]).toEqual([[1, 10], 5, 1]);
    const custom = parsePeerArgs(['--quick', '--levels', '1,5', '--seconds', '3'], 1);
    expect([custom.levels, custom.seconds]).toEqual([[1, 5], 3]);
  });

  it('reads the Restate configurations and the systems to run', () => {
    const o = parsePeerArgs(['--partitions', '4, default', '--systems', 'restate'], 1);
    expect(o.restateConfigs).toEqual([4, 'default']);
    expect(o.systems).toEqual(['restate']);
    expect(configLabel(4)).toBe('Restate (4 partitions)');
    expect(configLabel('default')).toBe('Restate (defaults)');
  });

  it('names the flag of a bad value', () => {
    expect(() => parsePeerArgs(['--levels', '1,0'], 1)).toThrow(/--levels/);
    expect(() => parsePeerArgs(['--seconds', '2.5'], 1)).toThrow(/--seconds/);
    expect(() => parsePeerArgs(['--systems', 'temporal'], 1)).toThrow(/--systems/);
    expect(() => parsePeerArgs(['--partitions', 'many'], 1)).toThrow(/--partitions/);
    expect(() => parsePeerArgs(['--bogus'], 1)).toThrow(BenchUsageError);
  });
});
