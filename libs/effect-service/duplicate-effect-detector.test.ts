/**
 * Hunts a duplicate-effect detector that stays silent or cries twice (issue 13): a second
 * charge under a fresh key never counted, one counted again on every later pass or on a later
 * write for the same order, a duplicate whose first entry a predecessor wrote missed, a pass
 * that rescans orders nobody wrote to (not incremental), a store outage that loses the orders
 * it was checking, and memory that grows without bound.
 */
import type { DuplicateEffect, LedgerRecord } from '@seamline/audit';
import type { ScanOptions, ScanPage, VersionedRecord } from '@seamline/quorum-store';
import { ZERO_VERSION } from '@seamline/quorum-store';
import { describe, expect, it } from 'vitest';
import type { DuplicateEffectDetectorOptions } from './duplicate-effect-detector.ts';
import { DuplicateEffectDetector } from './duplicate-effect-detector.ts';

/** The payment domain as the store holds it, with every scan it was asked for. */
class FakeLedger {
  readonly records = new Map<string, VersionedRecord>();
  readonly scans: string[] = [];
  failing = false;

  put(row: LedgerRecord): LedgerRecord {
    this.records.set(row.key, { key: row.key, value: row.value, version: ZERO_VERSION, tag: null });
    return row;
  }

  scan(_domain: string, o: ScanOptions): Promise<ScanPage> {
    this.scans.push(o.keyPrefix ?? '');
    if (this.failing) return Promise.reject(new Error('quorum unavailable'));
    const keys = [...this.records.keys()]
      .filter(
        (k) => k.startsWith(o.keyPrefix ?? '') && (o.afterKey === undefined || k > o.afterKey),
      )
      .sort();
    const limit = o.limit ?? 100;
    const page = keys.slice(0, limit);
    return Promise.resolve({
      records: page.map((k) => this.records.get(k)!),
      nextKey: page.length === limit ? page[page.length - 1] : undefined,
    });
  }
}

const charge = (orderId: string, suffix = ''): LedgerRecord => ({
  key: `ledger:${orderId}:charge:charge${suffix}`,
  value: { kind: 'charge', orderId, customerId: 'c1', amountCents: 700 },
});
const refund = (orderId: string): LedgerRecord => ({
  key: `ledger:${orderId}:charge:refund`,
  value: { kind: 'refund', orderId, customerId: 'c1', amountCents: 700 },
});

function detector(options: Partial<DuplicateEffectDetectorOptions> = {}) {
  const store = new FakeLedger();
  const reported: DuplicateEffect[] = [];
  const d = new DuplicateEffectDetector({
    service: 'payment',
    domain: 'payment',
    store,
    onDuplicate: (x) => reported.push(x),
    ...options,
  });
  /** The writer wrote these rows: in the store, and handed to the detector. */
  const write = (...rows: LedgerRecord[]) => d.written(rows.map((r) => store.put(r)));
  return { d, store, reported, write };
}

describe('DuplicateEffectDetector', () => {
  it('reports a charge applied twice once, on the pass after it was written', async () => {
    const { d, reported, write } = detector();
    write(charge('o1'), { key: 'account:c1', value: { balanceCents: 1 } });
    expect((await d.pass()).found).toEqual([]);
    write(charge('o1', '~9f'));
    const pass = await d.pass();
    expect(pass.found.map((x) => x.effect)).toEqual(['o1:charge']);
    expect(reported.map((x) => [x.kind, x.entries.map((e) => e.key)])).toEqual([
      ['charge', ['ledger:o1:charge:charge', 'ledger:o1:charge:charge~9f']],
    ]);
  });

  it('stays silent for an order with one charge and its refund', async () => {
    const { d, reported, write } = detector();
    write(charge('o1'));
    write(refund('o1'));
    await d.pass();
    expect(reported).toEqual([]);
  });

  it('never reports the same duplicate twice, across passes and later writes for the order', async () => {
    const { d, reported, write } = detector();
    write(charge('o1', '~a'), charge('o1', '~b'));
    await d.pass();
    await d.pass();
    write(charge('o1', '~c'));
    write(refund('o1'));
    await d.pass();
    expect(reported.map((x) => x.effect)).toEqual(['o1:charge']);
  });

  it('finds a duplicate whose first entry a predecessor wrote (only the store has it)', async () => {
    const { d, store, reported, write } = detector();
    store.put(charge('o1'));
    write(charge('o1', '~new'));
    await d.pass();
    expect(reported.map((x) => x.entries.length)).toEqual([2]);
  });

  it('counts a misfiled entry written by this writer against its order', async () => {
    const { d, reported, write } = detector();
    write(charge('o1'));
    write({ key: 'ledger:elsewhere', value: charge('o1').value });
    await d.pass();
    expect(reported.map((x) => x.entries.map((e) => e.key))).toEqual([
      ['ledger:elsewhere', 'ledger:o1:charge:charge'],
    ]);
  });

  it('only scans the orders written since the last pass, each once per pass', async () => {
    const { d, store, write } = detector();
    write(charge('o1'), charge('o2'));
    write(refund('o1'));
    await d.pass();
    expect(store.scans.sort()).toEqual(['ledger:o1:', 'ledger:o2:']);
    store.scans.length = 0;
    await d.pass();
    expect(store.scans).toEqual([]);
    write(refund('o2'));
    await d.pass();
    expect(store.scans).toEqual(['ledger:o2:']);
  });

  it('examines a bounded page of orders per pass and leaves the rest waiting', async () => {
    const { d, write } = detector({ ordersPerPass: 2 });
    for (const o of ['o1', 'o2', 'o3', 'o4', 'o5']) write(charge(o));
    const first = await d.pass();
    expect([first.orders, first.waiting]).toEqual([2, 3]);
    await d.pass();
    const last = await d.pass();
    expect([last.orders, last.waiting]).toEqual([1, 0]);
    expect(d.passes).toBe(3);
  });

  it('keeps the orders of a failed scan for the next pass', async () => {
    const { d, store, reported, write } = detector();
    write(charge('o1'), charge('o1', '~x'));
    store.failing = true;
    const failed = await d.pass();
    expect([failed.failed, failed.waiting, reported.length]).toEqual([1, 1, 0]);
    store.failing = false;
    await d.pass();
    expect(reported.map((x) => x.effect)).toEqual(['o1:charge']);
  });

  it('drops (and counts) writes beyond its backlog instead of growing', async () => {
    const { d, write } = detector({ backlog: 2 });
    write(charge('o1'), charge('o2'), charge('o3'), charge('o4'));
    write(refund('o1'));
    expect(d.waiting).toBe(2);
    const pass = await d.pass();
    expect(pass.dropped).toBe(2);
    expect((await d.pass()).dropped).toBe(0);
  });

  it('remembers a bounded number of reported duplicates, the oldest forgotten first', async () => {
    const { d, reported, write } = detector({ remember: 1 });
    write(charge('o1'), charge('o1', '~a'));
    await d.pass();
    write(charge('o2'), charge('o2', '~a'));
    await d.pass();
    // o1 was forgotten to make room for o2: a new write for o1 makes it count again.
    write(charge('o2', '~b'), refund('o1'));
    await d.pass();
    expect(reported.map((x) => x.effect)).toEqual(['o1:charge', 'o2:charge', 'o1:charge']);
  });

  it('pages through an order with more entries than one scan returns', async () => {
    const { d, store, reported, write } = detector({ entriesPerOrder: 300 });
    for (let i = 0; i < 148; i++) store.put(charge('o1', `~${String(i).padStart(3, '0')}`));
    write(charge('o1', '~new'));
    await d.pass();
    expect(reported[0]?.entries.length).toBe(149);
  });

  it('refuses an option that is not a positive integer, naming it', () => {
    expect(() => detector({ ordersPerPass: 0 })).toThrow(/ordersPerPass/);
  });
});
