/**
 * Hunts a no-double-effect rule that the auditor and the services' incremental detector could
 * read differently (issue 13): a second charge filed under a fresh key left ungrouped, a refund
 * beside its charge taken for a duplicate, one order's entries mixed with another's, a
 * duplicate named differently depending on entry order, and ledger parsing that counts
 * tombstones, other records or malformed entries as effects.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EffectKind } from './audit-report.ts';
import type { EffectEntry } from './books.ts';
import { effectOf, findDuplicateEffects, readLedger } from './duplicate-effects.ts';
import { checkDoubleEffects } from './double-effect-check.ts';

const seed = Number(process.env['FC_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
console.info(`[duplicate-effects.test] fast-check seed=${seed} (rerun with FC_SEED=${seed})`);

const step = (kind: EffectKind) => (kind === 'charge' || kind === 'refund' ? 'charge' : 'reserve');
const entry = (orderId: string, kind: EffectKind, suffix = ''): EffectEntry => {
  const effectKey = `${orderId}:${step(kind)}:${kind}${suffix}`;
  return { key: `ledger:${effectKey}`, effectKey, kind, orderId, amountCents: 100 };
};

describe('findDuplicateEffects', () => {
  it('finds nothing in an order with one effect of each kind', () => {
    const effects = (['charge', 'refund', 'reserve', 'release'] as const).map((k) =>
      entry('o1', k),
    );
    expect(findDuplicateEffects(effects)).toEqual([]);
  });

  it('names a second charge under a fresh key as one duplicated effect, entries by key', () => {
    const twice = [entry('o1', 'charge', '~b'), entry('o2', 'charge'), entry('o1', 'charge', '~a')];
    expect(findDuplicateEffects(twice)).toEqual([
      {
        effect: 'o1:charge',
        orderId: 'o1',
        kind: 'charge',
        entries: [entry('o1', 'charge', '~a'), entry('o1', 'charge', '~b')],
      },
    ]);
  });

  it('reports an effect applied three times once, with its three entries', () => {
    const thrice = ['~a', '~b', '~c'].map((s) => entry('o1', 'reserve', s));
    const found = findDuplicateEffects(thrice);
    expect(found.map((d) => [d.effect, d.entries.length])).toEqual([['o1:reserve', 3]]);
  });

  it('agrees with the auditor: one duplicate per order and kind with more than one entry', () => {
    const kinds = fc.constantFrom<EffectKind>('charge', 'refund', 'reserve', 'release');
    const entries = fc.array(fc.record({ order: fc.integer({ min: 1, max: 4 }), kind: kinds }), {
      maxLength: 30,
    });
    fc.assert(
      fc.property(entries, (list) => {
        const effects = list.map((e, i) => entry(`o${e.order}`, e.kind, `~${i}`));
        const counts = new Map<string, number>();
        for (const e of effects) counts.set(effectOf(e), (counts.get(effectOf(e)) ?? 0) + 1);
        const expected = [...counts].filter(([, n]) => n > 1).map(([k]) => k);
        const found = findDuplicateEffects(effects);
        expect(found.map((d) => d.effect).sort()).toEqual(expected.sort());
        expect([...checkDoubleEffects(effects, 'merged').duplicated].sort()).toEqual(
          expected.sort(),
        );
        // Order of arrival does not change what is found nor how it is named.
        const reversed = findDuplicateEffects([...effects].reverse());
        expect(reversed.map((d) => d.effect).sort()).toEqual(expected.sort());
      }),
      { seed },
    );
  });
});

describe('readLedger', () => {
  const charge = { kind: 'charge', orderId: 'o1', customerId: 'c1', amountCents: 500 };

  it('reads ledger entries of its service only, skipping other records and tombstones', () => {
    const { effects, malformed } = readLedger('payment', [
      { key: 'ledger:o1:charge:charge', value: charge },
      { key: 'ledger:o1:charge:charge~x', value: charge, deleted: true },
      { key: 'account:c1', value: { customerId: 'c1', balanceCents: 1, initialCents: 1 } },
      { key: 'idem:o1:charge:charge', value: { fingerprint: 'f', result: {} } },
    ]);
    expect(malformed).toBe(0);
    expect(effects).toEqual([
      { ...charge, key: 'ledger:o1:charge:charge', effectKey: 'o1:charge:charge' },
    ]);
  });

  it('counts a malformed entry without making it an effect', () => {
    const { effects, malformed } = readLedger('inventory', [
      { key: 'ledger:o1:reserve:reserve', value: { kind: 'reserve', orderId: 'o1' } },
    ]);
    expect(effects).toEqual([]);
    expect(malformed).toBe(1);
  });
});
