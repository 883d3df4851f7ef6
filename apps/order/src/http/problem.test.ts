import { describe, expect, it } from 'vitest';
import { retryAfterSeconds } from './problem.ts';

describe('Retry-After for refusals many clients meet at once', () => {
  it('spreads the clients over 1 to 3 seconds', () => {
    expect(retryAfterSeconds(() => 0)).toBe('1');
    expect(retryAfterSeconds(() => 0.5)).toBe('2');
    expect(retryAfterSeconds(() => 0.999_999)).toBe('3');
    const seen = new Set(Array.from({ length: 300 }, () => retryAfterSeconds()));
    expect([...seen].sort()).toEqual(['1', '2', '3']);
  });
});
