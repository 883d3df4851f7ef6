/**
 * Hunts replay-rule bugs: a reused key answered with another request's result, a duplicate
 * treated as a new request, and a first request treated as a duplicate.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideReplay } from './idempotency-record.ts';

describe('decideReplay', () => {
  it('replays only for the same fingerprint and refuses any other', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.string({ minLength: 1 }),
        fc.jsonValue(),
        (stored, incoming, result) => {
          const decision = decideReplay({ fingerprint: stored, result }, incoming);
          if (stored === incoming) expect(decision).toEqual({ kind: 'replay', result });
          else expect(decision).toEqual({ kind: 'reused', storedFingerprint: stored });
        },
      ),
    );
  });

  it('treats an unknown key as a first request', () => {
    expect(decideReplay(undefined, 'abc')).toEqual({ kind: 'first' });
  });
});
