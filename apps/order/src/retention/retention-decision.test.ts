/**
 * Issue 9, hole 7: what order retention may prune. Hunts: a running saga pruned, a fresh one
 * pruned, retention 0 pruning anything, a response pruned away from its order, and a retired key
 * that forgets an order it created earlier (the next order id would then repeat one).
 */
import { describe, expect, it } from 'vitest';
import type { StoredResponse } from '../orchestrator/order-records.ts';
import type { Saga } from '../saga/saga-state.ts';
import { isPrunable, planPrune, retire } from './retention-decision.ts';

const DAY = 86_400_000;
const saga = (over: Partial<Saga> = {}): Saga => ({
  orderId: 'ord-1',
  customerId: 'c',
  items: [],
  totalCents: 100,
  currency: 'USD',
  createdAt: 0,
  deadline: 1000,
  status: 'COMPLETED',
  reason: null,
  reserve: 'done',
  charge: 'done',
  outstanding: null,
  compensations: [],
  history: [],
  finishedAt: 1000,
  ...over,
});
const response = (over: Partial<StoredResponse> = {}): StoredResponse => ({
  fingerprint: 'f',
  orderId: 'ord-1',
  status: 202,
  bodyText: '{}',
  ...over,
});

describe('isPrunable', () => {
  it('prunes a terminal order once it finished at least the retention ago', () => {
    expect(isPrunable(saga(), 1000 + 7 * DAY, 7 * DAY)).toBe(true);
    expect(isPrunable(saga({ status: 'CANCELLED' }), 1000 + 7 * DAY, 7 * DAY)).toBe(true);
  });
  it('keeps an order that finished less than the retention ago', () => {
    expect(isPrunable(saga(), 1000 + 7 * DAY - 1, 7 * DAY)).toBe(false);
  });
  it('never prunes a running saga, however old', () => {
    for (const status of ['PENDING', 'COMPENSATING'] as const)
      expect(isPrunable(saga({ status, finishedAt: null }), 100 * DAY, DAY)).toBe(false);
  });
  it('keeps a terminal order without a finish time, and everything when retention is 0', () => {
    expect(isPrunable(saga({ finishedAt: null }), 100 * DAY, DAY)).toBe(false);
    expect(isPrunable(saga(), 100 * DAY, 0)).toBe(false);
    expect(isPrunable(undefined, 100 * DAY, DAY)).toBe(false);
  });
});

describe('retire', () => {
  it('remembers every order the key created, oldest first, with its outcome', () => {
    const earlier = { orderId: 'ord-0', status: 'CANCELLED' as const, reason: 'OUT_OF_STOCK' };
    expect(retire(response({ pruned: [earlier] }), saga())).toEqual({
      retired: true,
      pruned: [earlier, { orderId: 'ord-1', status: 'COMPLETED', reason: null }],
    });
  });
});

describe('planPrune', () => {
  const version = { fence: 3, seq: 1 };
  it('prunes old terminal orders with their response, and nothing else', () => {
    const page = [
      { key: 'old', response: response(), version, saga: saga() },
      {
        key: 'running',
        response: response({ orderId: 'ord-2' }),
        version,
        saga: saga({ orderId: 'ord-2', status: 'PENDING', finishedAt: null }),
      },
      {
        key: 'fresh',
        response: response({ orderId: 'ord-3' }),
        version,
        saga: saga({ orderId: 'ord-3', finishedAt: 2 * DAY }),
      },
      // A create still landing: the response is seen, its order not yet.
      { key: 'landing', response: response({ orderId: 'ord-4' }), version, saga: undefined },
      // A response naming another order than the one read: left alone.
      { key: 'other', response: response({ orderId: 'ord-5' }), version, saga: saga() },
    ];
    const plan = planPrune(page, 2 * DAY, DAY);
    expect(plan.map((e) => [e.key, e.orderId])).toEqual([['old', 'ord-1']]);
    expect(plan[0]?.version).toEqual(version);
  });
});
