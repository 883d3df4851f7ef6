/**
 * Hunts the order leader's version memory (issue 9, hole 7): a per-key map that grows with every
 * order ever placed, and, once bounded, a save that guesses the version of a forgotten saga
 * (a guess below the stored version is silently ignored by every replica).
 */
import type { QuorumStore, RecordWrite, VersionedRecord } from '@seamline/quorum-store';
import { describe, expect, it } from 'vitest';
import type { Saga } from '../saga/saga-state.ts';
import { OrderRecords, orderKey } from './order-records.ts';

function fakeStore() {
  const rows = new Map<string, VersionedRecord>();
  const reads: string[] = [];
  const store = {
    async write(_domain: string, batch: readonly RecordWrite[]) {
      for (const r of batch) rows.set(r.key, { ...r, tag: r.tag ?? null });
      return { acks: 2 };
    },
    async read(_domain: string, key: string) {
      reads.push(key);
      return rows.get(key);
    },
  } as unknown as QuorumStore;
  return { store, rows, reads };
}

const saga = (orderId: string, status: Saga['status'] = 'PENDING') =>
  ({ orderId, status }) as unknown as Saga;

const response = { fingerprint: 'f', orderId: 'x', status: 202, bodyText: '{}' };

describe('OrderRecords version memory (hole 7)', () => {
  it('keeps at most its cache size of versions, however many orders it wrote', async () => {
    const { store } = fakeStore();
    const records = new OrderRecords(store, 50);
    for (let i = 0; i < 500; i++) await records.create(saga(`o${i}`), `k${i}`, response, 3);
    expect(records.cachedVersions).toBe(50);
  });

  it('reads a forgotten saga version before saving it, and writes above it', async () => {
    const { store, rows, reads } = fakeStore();
    const records = new OrderRecords(store, 2);
    await records.create(saga('a'), 'ka', response, 3);
    await records.save(saga('a'), 3);
    expect(rows.get(orderKey('a'))?.version).toEqual({ fence: 3, seq: 2 });
    // Two more orders push `a` (and its response row) out of the cache.
    await records.create(saga('b'), 'kb', response, 3);
    expect(reads).toEqual([]);
    await records.save(saga('a', 'COMPLETED'), 3);
    expect(reads).toEqual([orderKey('a')]);
    expect(rows.get(orderKey('a'))?.version).toEqual({ fence: 3, seq: 3 });
  });
});
