/**
 * Hunts bugs in the closed loop that drives both systems: a client that starts its next order
 * before the previous one is terminal (that would be an open loop), failures counted as sagas,
 * an order mix that drifts from about 10 % declined, and order keys that repeat (a repeated
 * Idempotency-Key would replay an old order instead of running a saga).
 */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '@seamline/retry-budget';
import { BROKE_SHARE, closedLoop, nextOrder } from './closed-loop.ts';

describe('closedLoop', () => {
  it('keeps at most one order in flight per client, counts outcomes and failures apart', async () => {
    let inFlight = 0;
    let peak = 0;
    const keys = new Set<string>();
    let calls = 0;
    const run = await closedLoop({
      clients: 3,
      seconds: 0.3,
      seed: 1,
      keyPrefix: 'k',
      place: async (key) => {
        keys.add(key);
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight -= 1;
        calls += 1;
        if (calls % 10 === 0) throw new Error('lost');
        return calls % 2 === 0 ? 'COMPLETED' : 'CANCELLED/PAYMENT_DECLINED';
      },
    });
    expect(peak).toBe(3);
    expect(keys.size).toBe(calls);
    expect(run.latenciesMs.length + run.errors).toBe(calls);
    expect(run.errors).toBeGreaterThan(0);
    const outcomes = Object.values(run.outcomes).reduce((a, b) => a + b, 0);
    expect(outcomes).toBe(run.latenciesMs.length);
    expect(run.latenciesMs.every((ms) => ms >= 4)).toBe(true);
    expect(run.seconds).toBeGreaterThanOrEqual(0.3);
  });
});

describe('nextOrder', () => {
  it('sends about 10 % of orders from the broke customer, the rest from seeded ones', () => {
    const random = seededRandom(7);
    const orders = Array.from({ length: 5000 }, () => nextOrder(random));
    const broke = orders.filter((o) => o.customerId === 'cust-broke').length / orders.length;
    expect(Math.abs(broke - BROKE_SHARE)).toBeLessThan(0.02);
    for (const o of orders) {
      expect(o.customerId).toMatch(/^cust-(broke|([1-9]\d{0,2}|1000))$/);
      expect(o.sku).toMatch(/^sku-([1-9]\d{0,2}|1000)$/);
      expect(o.qty).toBeGreaterThanOrEqual(1);
      expect(o.qty).toBeLessThanOrEqual(3);
    }
  });
});
