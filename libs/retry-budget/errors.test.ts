// Hunts: codes that drift (callers and dashboards branch on them), a lost `cause`, and
// classification that depends on the class identity instead of the stable code.
import { describe, expect, it } from 'vitest';
import {
  classifyByCode,
  DeadlineExceededError,
  isRetryTaxonomyError,
  OverloadedError,
  RetryableError,
  RetryShedError,
  TerminalError,
} from '@seamline/retry-budget';

describe('retry error taxonomy', () => {
  const cause = new Error('root');
  const all = [
    [new RetryableError('r', { cause, retryAfterMs: 5 }), 'RETRYABLE'],
    [new TerminalError('t', { cause }), 'TERMINAL'],
    [new OverloadedError('o', { cause }), 'OVERLOADED'],
    [new DeadlineExceededError('d', { cause, deadline: 1 }), 'DEADLINE_EXCEEDED'],
    [new RetryShedError('s', { cause, downstream: 'payment' }), 'RETRY_SHED'],
  ] as const;

  it('gives every error a stable code and keeps its cause', () => {
    for (const [err, code] of all) {
      expect(err.code).toBe(code);
      expect(err.cause).toBe(cause);
      expect(err).toBeInstanceOf(Error);
      expect(isRetryTaxonomyError(err)).toBe(true);
    }
    expect(isRetryTaxonomyError(new Error('plain'))).toBe(false);
  });

  it('classifies by code, so an error rebuilt from the wire classifies the same', () => {
    const wire = Object.assign(new Error('from the bus'), { code: 'RETRYABLE', retryAfterMs: 250 });
    expect(classifyByCode(wire)).toEqual({ kind: 'retry', retryAfterMs: 250 });
    expect(classifyByCode(Object.assign(new Error('x'), { code: 'OVERLOADED' }))).toEqual({
      kind: 'overloaded',
    });
    expect(classifyByCode(new TerminalError('t')).kind).toBe('terminal');
    expect(classifyByCode(new DeadlineExceededError('d', { deadline: 0 })).kind).toBe('terminal');
    expect(classifyByCode('not an error').kind).toBe('terminal');
    expect(classifyByCode(null).kind).toBe('terminal');
  });
});
