/**
 * Hunts a demo mix that cannot show what it promises: a run that is not repeatable from its
 * seed, Idempotency-Keys reused within or across runs, no declined payments, rare orders that
 * are not the last two, or bodies the order API would refuse.
 */
import { describe, expect, it } from 'vitest';
import { planWorkload } from './workload.ts';

describe('planWorkload', () => {
  it('is repeatable from its seed and differs for another seed', () => {
    const a = planWorkload({ orders: 50, seed: 7, runId: 'r' });
    expect(planWorkload({ orders: 50, seed: 7, runId: 'r' })).toEqual(a);
    expect(planWorkload({ orders: 50, seed: 8, runId: 'r' })).not.toEqual(a);
  });

  it('gives every order its own key, and another run other keys', () => {
    const a = planWorkload({ orders: 200, seed: 1, runId: 'one' }).map((o) => o.key);
    const b = planWorkload({ orders: 200, seed: 1, runId: 'two' }).map((o) => o.key);
    expect(new Set(a).size).toBe(200);
    expect(a.filter((k) => b.includes(k))).toEqual([]);
  });

  it('mixes ordinary orders, declined payments and two rare orders at the end', () => {
    const plan = planWorkload({ orders: 200, seed: 3, runId: 'r' });
    expect(plan).toHaveLength(200);
    expect(plan.slice(-2).map((o) => o.intent)).toEqual(['rare-first', 'rare-second']);
    expect(plan.slice(-2).every((o) => o.body.items[0]?.sku === 'sku-rare')).toBe(true);
    const broke = plan.filter((o) => o.intent === 'payment-declined');
    expect(broke.length).toBeGreaterThan(4);
    expect(broke.every((o) => o.body.customerId === 'cust-broke')).toBe(true);
    const ordinary = plan.filter((o) => o.intent === 'complete');
    expect(ordinary.every((o) => /^cust-\d+$/.test(o.body.customerId))).toBe(true);
  });

  it('writes bodies within the API limits and the seeded fixture', () => {
    for (const order of planWorkload({
      orders: 300,
      seed: 11,
      runId: 'r',
      customers: 5,
      skus: 4,
    })) {
      expect(order.body.currency).toBe('USD');
      expect(order.body.items.length).toBeGreaterThanOrEqual(1);
      expect(new Set(order.body.items.map((i) => i.sku)).size).toBe(order.body.items.length);
      for (const item of order.body.items) {
        expect(item.sku).toMatch(/^sku-([1-4]|rare)$/);
        expect(item.qty).toBeGreaterThanOrEqual(1);
        expect(Number.isInteger(item.unitPriceCents)).toBe(true);
      }
      expect(order.body.customerId).toMatch(/^cust-([1-5]|broke)$/);
    }
  });
});
