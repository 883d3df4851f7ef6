/**
 * Issue 9, hole 7: the books after retention deleted orders (ADR 0017). Hunts: effects of a
 * pruned order reported as orphans, a tombstone read as a malformed order, and a pruned order's
 * lost or uncompensated effect going unnoticed because its record is gone.
 */
import { describe, expect, it } from 'vitest';
import { readBooks } from './books.ts';
import { checkOrderOutcomes } from './order-outcome-check.ts';
import type { StoredRecord } from './replica-merge.ts';

const v = { fence: 1, seq: 1 };
const rec = (domain: string, key: string, value: unknown, deleted = false): StoredRecord => ({
  domain,
  key,
  version: v,
  tag: null,
  value,
  ...(deleted ? { deleted: true } : {}),
});
const charge = (orderId: string) =>
  rec('payment', `ledger:${orderId}:charge:charge`, {
    kind: 'charge',
    orderId,
    customerId: 'c',
    amountCents: 5,
  });
const reserve = (orderId: string) =>
  rec('inventory', `ledger:${orderId}:reserve:reserve`, {
    kind: 'reserve',
    orderId,
    items: [{ sku: 's', qty: 1 }],
  });
const retired = (orderId: string, status: 'COMPLETED' | 'CANCELLED') =>
  rec('order', 'http-idem:k', { retired: true, pruned: [{ orderId, status, reason: null }] });

describe('books after retention', () => {
  it('knows a pruned COMPLETED order from its key and accepts its effects', () => {
    const books = readBooks({
      order: [retired('ord-1', 'COMPLETED'), rec('order', 'order:ord-1', null, true)],
      payment: [charge('ord-1')],
      inventory: [reserve('ord-1')],
    });
    expect(books.malformed).toEqual([]);
    expect(books.orders).toEqual([]);
    expect(checkOrderOutcomes(books, { expectTerminal: true }).violations).toEqual([]);
  });
  it('still reports a pruned order whose effects do not match its outcome', () => {
    const completed = readBooks({
      order: [retired('ord-1', 'COMPLETED')],
      payment: [],
      inventory: [reserve('ord-1')],
    });
    expect(
      checkOrderOutcomes(completed, { expectTerminal: true }).violations.map((x) => x.rule),
    ).toEqual(['incomplete-order']);
    const cancelled = readBooks({
      order: [retired('ord-2', 'CANCELLED')],
      payment: [charge('ord-2')],
      inventory: [],
    });
    expect(
      checkOrderOutcomes(cancelled, { expectTerminal: true }).violations.map((x) => x.rule),
    ).toEqual(['uncompensated-effect']);
  });
  it('still calls an effect of an order nobody knows an orphan', () => {
    const books = readBooks({ order: [], payment: [charge('ord-9')], inventory: [] });
    expect(
      checkOrderOutcomes(books, { expectTerminal: true }).violations.map((x) => x.rule),
    ).toEqual(['orphan-effect']);
  });
});
