/** Hunts contract bugs: effect keys that do not round-trip, fingerprints that depend on key order. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { effectKey, parseEffectKey } from './commands.ts';
import { fingerprint } from './fingerprint.ts';

describe('effect keys', () => {
  it('round-trip for every saga id and action', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.constantFrom('reserve', 'release', 'charge', 'refund' as const),
        (sagaId, action) => {
          expect(parseEffectKey(effectKey(sagaId, action))).toEqual({
            sagaId,
            action,
            step: action === 'reserve' || action === 'release' ? 'reserve' : 'charge',
          });
        },
      ),
    );
  });

  it('refuse keys that are not effect keys', () => {
    expect(parseEffectKey('abc')).toBeUndefined();
    expect(parseEffectKey('s:charge:release')).toBeUndefined();
  });
});

describe('fingerprint', () => {
  it('ignores key order but not values', () => {
    expect(fingerprint({ a: 1, b: [1, { c: 2, d: 3 }] })).toBe(
      fingerprint({ b: [1, { d: 3, c: 2 }], a: 1 }),
    );
    expect(fingerprint({ a: 1 })).not.toBe(fingerprint({ a: 2 }));
    expect(fingerprint([1, 2])).not.toBe(fingerprint([2, 1]));
  });
});

describe('result schemas', () => {
  it('parse every outcome a receiver can answer', async () => {
    const { reserveResult, chargeResult } = await import('./commands.ts');
    expect(
      reserveResult.parse({ outcome: 'declined', reason: 'OUT_OF_STOCK', sku: 'sku-1' }).outcome,
    ).toBe('declined');
    expect(reserveResult.parse({ outcome: 'reserved' }).outcome).toBe('reserved');
    expect(chargeResult.parse({ outcome: 'declined', reason: 'INSUFFICIENT_FUNDS' }).outcome).toBe(
      'declined',
    );
    expect(() => reserveResult.parse({ outcome: 'declined', reason: 'NOPE', sku: 'x' })).toThrow();
  });
});
