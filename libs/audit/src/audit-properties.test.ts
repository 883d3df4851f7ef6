/**
 * Hunts blind spots of the auditor over random histories: a consistent history it rejects, and
 * a single planted fault it lets through. Every ledger entry matters: dropping any one of them,
 * or copying any one under another key on any one replica, must fail the audit. Also hunts a
 * merge that does not take the highest version. fast-check prints the seed of a failure;
 * rerun with `{ seed, path }` from its report.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auditSnapshot } from './audit-snapshot.ts';
import { mergeReplicas } from './replica-merge.ts';
import type { HistoryRecords, Outcome } from '../test/history.ts';
import { History, onReplica, REPLICAS, snapshotOf } from '../test/history.ts';

const outcomes: Outcome[] = ['completed', 'declined', 'out-of-stock', 'refunded'];

const historyArb = fc
  .array(
    fc.record({
      customer: fc.integer({ min: 1, max: 3 }),
      outcome: fc.constantFrom(...outcomes),
      items: fc.array(
        fc.record({
          sku: fc.integer({ min: 1, max: 4 }),
          qty: fc.integer({ min: 1, max: 5 }),
          unitPriceCents: fc.integer({ min: 0, max: 10_000 }),
        }),
        { minLength: 1, maxLength: 3 },
      ),
    }),
    { minLength: 1, maxLength: 12 },
  )
  .map((orders) => {
    const history = new History();
    for (let c = 1; c <= 3; c++) history.account(`cust-${c}`, 10_000_000);
    for (let s = 1; s <= 4; s++) history.sku(`sku-${s}`, 1_000);
    orders.forEach((o, i) =>
      history.order(
        `ord-${i}`,
        `cust-${o.customer}`,
        o.items.map((item) => ({ ...item, sku: `sku-${item.sku}` })),
        o.outcome,
      ),
    );
    return history.records();
  });

const ledgerOf = (h: HistoryRecords) =>
  [...h.payment, ...h.inventory].filter((r) => r.key.startsWith('ledger:'));
const withLedger = historyArb.filter((h) => ledgerOf(h).length > 0);

describe('the audit over random histories', () => {
  it('passes every consistent history', () => {
    fc.assert(
      fc.property(historyArb, (records) => {
        const report = auditSnapshot(snapshotOf(records), { expectTerminal: true, repaired: true });
        expect(report.violations).toEqual([]);
      }),
    );
  });

  it('fails when any one ledger entry is missing from every replica', () => {
    fc.assert(
      fc.property(withLedger, fc.nat(), (records, pick) => {
        const gone = ledgerOf(records)[pick % ledgerOf(records).length]!;
        const db = gone.domain as 'payment' | 'inventory';
        const damaged = { ...records, [db]: records[db].filter((r) => r !== gone) };
        const report = auditSnapshot(snapshotOf(damaged));
        expect(report.ok).toBe(false);
        expect(report.violations.every((v) => v.invariant === 'no-lost-effect')).toBe(true);
      }),
    );
  });

  it('fails when any one ledger entry is copied under another key on any one replica', () => {
    fc.assert(
      fc.property(withLedger, fc.nat(), fc.constantFrom(...REPLICAS), (records, pick, replica) => {
        const original = ledgerOf(records)[pick % ledgerOf(records).length]!;
        const db = original.domain as 'payment' | 'inventory';
        const copy = { ...original, key: `${original.key}:again` };
        const report = auditSnapshot(
          onReplica(snapshotOf(records), db, replica, (rows) => [...rows, copy]),
        );
        const order = (original.value as { orderId: string }).orderId;
        expect(report.violations).toContainEqual(
          expect.objectContaining({
            rule: 'double-effect',
            key: `order:${order}`,
            seenOn: expect.arrayContaining([replica]),
          }),
        );
        expect(report.counts.duplicateEffects).toBe(1);
      }),
    );
  });
});

describe('merging replicas', () => {
  it('takes the highest version of every key, whichever replica holds it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })), {
          minLength: 3,
          maxLength: 3,
        }),
        (versions) => {
          const replicas = versions.map(([fence, seq], i) => ({
            replica: `pg-${i + 1}`,
            records: [
              { domain: 'd', key: 'k', version: { fence, seq }, tag: null, value: { fence, seq } },
            ],
          }));
          const { truth, divergent } = mergeReplicas(replicas);
          const best = [...versions].sort((a, b) => b[0] - a[0] || b[1] - a[1])[0]!;
          expect(truth[0]?.version).toEqual({ fence: best[0], seq: best[1] });
          const allSame = versions.every(([f, s]) => f === best[0] && s === best[1]);
          expect(divergent.length).toBe(allSame ? 0 : 1);
        },
      ),
    );
  });
});
