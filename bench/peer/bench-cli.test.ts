/**
 * Hunts bugs in the benches' shared flag check: a fraction, an empty value or a value out of
 * range accepted, and an error that does not name the flag or the range.
 */
import { describe, expect, it } from 'vitest';
import { BenchUsageError, wholeNumber } from './bench-cli.ts';

describe('wholeNumber', () => {
  it('accepts whole numbers in range', () => {
    expect(wholeNumber('clients', '50', 1)).toBe(50);
    expect(wholeNumber('warmup', '0', 0, 10)).toBe(0);
    expect(wholeNumber('top', '10', 1, 10)).toBe(10);
  });

  it('rejects fractions, blanks and values out of range, naming the flag and the range', () => {
    expect(() => wholeNumber('seconds', '2.5', 1)).toThrow(
      '--seconds must be a whole number >= 1, got 2.5',
    );
    expect(() => wholeNumber('seconds', ' ', 1)).toThrow(BenchUsageError);
    expect(() => wholeNumber('top', '11', 1, 10)).toThrow(
      '--top must be a whole number in 1..10, got 11',
    );
    expect(() => wholeNumber('clients', '-1', 1)).toThrow(/--clients/);
  });
});
