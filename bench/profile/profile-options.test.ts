/**
 * Hunts bugs in bench:profile's command line that would profile something other than what was
 * asked: defaults drifting from 50 clients for 20 s, output going to docs/ without --docs, and
 * bad values (zero clients, fractions, a sampling interval that swamps the services) accepted
 * silently.
 */
import { describe, expect, it } from 'vitest';
import { BenchUsageError } from '../peer/bench-cli.ts';
import { parseProfileArgs, PROFILE_USAGE } from './profile-options.ts';

describe('parseProfileArgs', () => {
  it('defaults to 50 clients for 20 s after a 5 s warm-up, output under .seamline/, no docs', () => {
    const o = parseProfileArgs([], 42);
    expect(o).toEqual({
      clients: 50,
      seconds: 20,
      warmupSeconds: 5,
      orderReplicas: 2,
      intervalUs: 1000,
      top: 15,
      seed: 42,
      outDir: '.seamline/bench/profile',
      docs: false,
      help: false,
    });
  });

  it('reads every flag', () => {
    const o = parseProfileArgs(
      ['--clients', '20', '--seconds', '10', '--warmup', '0', '--order-replicas', '3'].concat([
        '--interval-us',
        '500',
        '--top',
        '5',
        '--seed',
        '7',
        '--out',
        '/tmp/p',
        '--docs',
      ]),
      1,
    );
    expect(o).toMatchObject({
      clients: 20,
      seconds: 10,
      warmupSeconds: 0,
      orderReplicas: 3,
      intervalUs: 500,
      top: 5,
      seed: 7,
      outDir: '/tmp/p',
      docs: true,
    });
    expect(parseProfileArgs(['-h'], 1).help).toBe(true);
  });

  it('names the flag of a bad value', () => {
    expect(() => parseProfileArgs(['--clients', '0'], 1)).toThrow(/--clients .*got 0/);
    expect(() => parseProfileArgs(['--seconds', '2.5'], 1)).toThrow(/--seconds/);
    expect(() => parseProfileArgs(['--seconds', ''], 1)).toThrow(/--seconds/);
    expect(() => parseProfileArgs(['--interval-us', '10'], 1)).toThrow(/--interval-us/);
    expect(() => parseProfileArgs(['--order-replicas', '10'], 1)).toThrow(/--order-replicas/);
    expect(() => parseProfileArgs(['--out', ' '], 1)).toThrow(/--out/);
    expect(() => parseProfileArgs(['--bogus'], 1)).toThrow(BenchUsageError);
    expect(() => parseProfileArgs(['stray'], 1)).toThrow(BenchUsageError);
    expect(() => parseProfileArgs(['--clients'], 1)).toThrow(BenchUsageError);
  });

  it('documents every flag it reads', () => {
    for (const flag of ['--clients', '--seconds', '--warmup', '--order-replicas', '--interval-us'])
      expect(PROFILE_USAGE).toContain(flag);
    for (const flag of ['--top', '--seed', '--out', '--docs', '--help'])
      expect(PROFILE_USAGE).toContain(flag);
  });
});
