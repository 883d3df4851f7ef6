/**
 * Hunts a seed sweep that skips or repeats seeds, misreads a range, or reports a scenario's
 * verdict wrongly (a FAIL row showing a PASS audit line would hide the failing seed).
 */
import { describe, expect, it } from 'vitest';
import { parseSeeds, renderTable, verdictLine } from '../scenarios/sweep.ts';

describe('the seed sweep', () => {
  it('reads single seeds, ranges and lists, each seed once in the order given', () => {
    expect(parseSeeds('3')).toEqual([3]);
    expect(parseSeeds('1-4')).toEqual([1, 2, 3, 4]);
    expect(parseSeeds('11,44,1-3,2')).toEqual([11, 44, 1, 2, 3]);
  });

  it('refuses a malformed or backwards range, naming the part', () => {
    expect(() => parseSeeds('5-2')).toThrow(/5-2 counts down/);
    expect(() => parseSeeds('a')).toThrow(/'a' is not N or N-M/);
  });

  it("takes the scenario's last audit line and failed checks as its verdict, without the log prefix", () => {
    const out = '[combined-faults] audit: FAIL, 1 violations\n[combined-faults] later\n';
    expect(verdictLine(out)).toBe('audit: FAIL, 1 violations');
    const slipped = '[c] audit: PASS\n[c] FAILED: window 3: only 1 fault(s)\n[c] FAIL (seed 1)\n';
    expect(verdictLine(slipped)).toBe('audit: PASS; FAILED: window 3: only 1 fault(s)');
    expect(verdictLine('[x] could not run: boom\n')).toBe('could not run: boom');
  });

  it('tabulates every seed with its result and counts the passes', () => {
    const table = renderTable(
      'combined-faults',
      ['--seconds', '26'],
      [
        { seed: 1, ok: true, seconds: 90.4, detail: 'audit: PASS' },
        { seed: 2, ok: false, seconds: 80, detail: 'audit: FAIL | x' },
      ],
    );
    expect(table).toContain('`npm run chaos -- combined-faults --seed N --seconds 26`: 1 of 2');
    expect(table).toContain('| 1 | PASS | 90 | audit: PASS |');
    expect(table).toContain('| 2 | FAIL | 80 | audit: FAIL \\| x |');
  });
});
