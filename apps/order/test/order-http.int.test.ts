/**
 * Hunts HTTP-edge bugs of POST /orders against real Postgres and NATS: a second order for one
 * Idempotency-Key, a replay that differs from the first response, a reused key accepted with
 * another body, bad input that crashes, changes state or answers anything but problem+json,
 * a follower that cannot take orders, and client attempts per key miscounted (a replay or 422
 * left out, a forwarded request counted twice).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../infra/stack/index.ts';
import type { OrderApp } from '../src/create-order-app.ts';
import type { Isolation } from './order-harness.ts';
import { orderIdFor } from '../src/order-service.ts';
import {
  dropIsolation,
  isolation,
  leaderOf,
  postOrder,
  startOrderReplicas,
} from './order-harness.ts';
import { signalProcess } from '../../../infra/stack/index.ts';
import { stackOptionsFromEnv } from '../../../infra/stack/env-options.ts';

// The stack this run uses (SEAMLINE_STACK_ROOT / _OFFSET), never the default one by accident.
const stack = stackOptionsFromEnv();

const order = {
  customerId: 'cust-1',
  items: [{ sku: 'sku-1', qty: 2, unitPriceCents: 150 }],
  currency: 'USD',
};
let iso: Isolation;
let apps: OrderApp[];
let leader: OrderApp;
let follower: OrderApp;

beforeAll(async () => {
  iso = isolation();
  apps = await startOrderReplicas(iso, 2, { SEAMLINE_REPLICA_TIMEOUT_MS: '1500' });
  leader = leaderOf(apps);
  follower = apps.find((a) => a !== leader)!;
});
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await dropIsolation(iso, [`order_${iso.suffix}`]);
});

async function orderCount(): Promise<number> {
  const res = await fetch(`${leader.url}/orders?limit=500`);
  return ((await res.json()) as { orders: unknown[] }).orders.length;
}

describe('POST /orders with an Idempotency-Key', () => {
  it('accepts an order with 202 and a Location, and replays the same response for the same key and body', async () => {
    const first = await postOrder(leader.url, 'key-replay', order);
    expect(first.status).toBe(202);
    expect(first.headers.get('location')).toBe(`/orders/${String(first.json?.orderId)}`);
    expect(first.json).toMatchObject({ status: 'PENDING', totalCents: 300, items: order.items });
    const again = await postOrder(leader.url, 'key-replay', {
      ...order,
      items: [{ unitPriceCents: 150, qty: 2, sku: 'sku-1' }],
    });
    expect(again.status).toBe(202);
    expect(again.text).toBe(first.text);
    const got = await fetch(`${leader.url}${first.headers.get('location')!}`);
    expect(((await got.json()) as { orderId: string }).orderId).toBe(first.json?.orderId);
  });

  it('answers 422 problem+json when the key is reused with another body', async () => {
    await postOrder(leader.url, 'key-422', order);
    const res = await postOrder(leader.url, 'key-422', { ...order, customerId: 'cust-2' });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.json).toMatchObject({ status: 422, errors: [{ field: 'Idempotency-Key' }] });
  });

  it('creates exactly one order for 50 parallel requests with one key, every accepted body identical', async () => {
    const before = await orderCount();
    const results = await Promise.all(
      Array.from({ length: 50 }, () => postOrder(leader.url, 'key-parallel', order)),
    );
    const statuses = new Set(results.map((r) => r.status));
    expect([...statuses].every((s) => s === 202 || s === 409)).toBe(true);
    const accepted = results.filter((r) => r.status === 202);
    expect(accepted.length).toBeGreaterThan(0);
    expect(new Set(accepted.map((r) => r.text)).size).toBe(1);
    for (const r of results.filter((x) => x.status === 409))
      expect(r.headers.get('retry-after')).toBe('1');
    expect(await orderCount()).toBe(before + 1);
  });

  it('answers 409 while the first request with the key is still in flight', async () => {
    // Two replicas paused: the first request's quorum read waits out the replica timeout.
    await signalProcess('pg-2', 'pause', stack);
    await signalProcess('pg-3', 'pause', stack);
    try {
      const first = postOrder(leader.url, 'key-409', order);
      await waitFor(() => leader.service.inFlightCount() > 0, {
        timeoutMs: 5000,
        intervalMs: 5,
        what: 'first request in flight',
      });
      const second = await postOrder(leader.url, 'key-409', order);
      expect(second.status).toBe(409);
      expect(second.json).toMatchObject({ status: 409 });
      expect((await first).status).toBe(503);
    } finally {
      await signalProcess('pg-2', 'resume', stack);
      await signalProcess('pg-3', 'resume', stack);
    }
    // A retry with the same key after the storage recovered is accepted once.
    const retry = await postOrder(leader.url, 'key-409', order);
    expect(retry.status).toBe(202);
  });

  it('is served by a follower too, which hands the order to the leader', async () => {
    const res = await postOrder(follower.url, 'key-follower', order);
    expect(res.status).toBe(202);
    const replay = await postOrder(leader.url, 'key-follower', order);
    expect(replay.text).toBe(res.text);
  });
});

describe('client attempts per Idempotency-Key', () => {
  const attemptsOn = async (app: OrderApp, orderId: string) => {
    const res = await fetch(`${app.url}/admin/attempts/${orderId}`);
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      json: (await res.json()) as Record<string, unknown>,
    };
  };

  it('counts the same key posted three times as three client requests, beside the sends of its saga', async () => {
    const orderId = orderIdFor('key-attempts');
    expect((await postOrder(leader.url, 'key-attempts', order)).status).toBe(202);
    expect((await postOrder(leader.url, 'key-attempts', order)).status).toBe(202);
    const reused = await postOrder(leader.url, 'key-attempts', { ...order, customerId: 'cust-2' });
    expect(reused.status).toBe(422);
    const view = await attemptsOn(leader, orderId);
    expect(view.status).toBe(200);
    // No inventory runs here: the reserve stays outstanding and is re-sent every 2 s.
    expect(view.json).toEqual({
      orderId,
      leader: true,
      client: { requests: 3 },
      orchestrator: {
        steps: [
          { action: 'reserve', key: `${orderId}:reserve:reserve`, sends: expect.any(Number) },
        ],
      },
    });
  });

  it('counts a request a follower hands to the leader once, on the leader', async () => {
    const orderId = orderIdFor('key-attempts-forwarded');
    expect((await postOrder(follower.url, 'key-attempts-forwarded', order)).status).toBe(202);
    expect((await postOrder(leader.url, 'key-attempts-forwarded', order)).status).toBe(202);
    expect((await attemptsOn(leader, orderId)).json).toMatchObject({ client: { requests: 2 } });
    const onFollower = await attemptsOn(follower, orderId);
    expect(onFollower.status).toBe(404);
    expect(onFollower.type).toMatch(/^application\/problem\+json/);
  });
});

describe('bad input on POST /orders', () => {
  const cases: [string, string | undefined, unknown, Record<string, string>?, number?][] = [
    ['a missing Idempotency-Key', undefined, order],
    ['a key with a space', 'has space', order],
    ['a 256-character key', 'k'.repeat(256), order],
    ['malformed JSON', 'bad-json', '{"customerId": "cust-1", '],
    [
      'wrong types',
      'bad-types',
      { ...order, items: [{ sku: 'sku-1', qty: '2', unitPriceCents: 1.5 }] },
    ],
    ['unknown fields', 'bad-unknown', { ...order, coupon: 'FREE' }],
    ['no items', 'bad-empty', { ...order, items: [] }],
    [
      '101 items',
      'bad-many',
      { ...order, items: Array.from({ length: 101 }, () => order.items[0]) },
    ],
    ['odd unicode in an id', 'bad-unicode', { ...order, customerId: 'cust\u202e-1\u0000' }],
    [
      'a negative quantity',
      'bad-qty',
      { ...order, items: [{ sku: 'sku-1', qty: -1, unitPriceCents: 1 }] },
    ],
    ['another currency', 'bad-eur', { ...order, currency: 'EUR' }],
    ['a huge body', 'bad-huge', { ...order, customerId: 'x'.repeat(200_000) }, {}, 413],
    [
      'a non-JSON content type',
      'bad-ctype',
      'customerId=cust-1',
      { 'content-type': 'text/plain' },
      415,
    ],
  ];

  it.each(cases)(
    'answers 4xx problem+json for %s, naming the field, and changes nothing',
    async (_name, key, body, headers, expected) => {
      const before = await orderCount();
      const res = await postOrder(leader.url, key, body, headers);
      expect(res.status).toBe(expected ?? 400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.json).toMatchObject({ status: expected ?? 400 });
      expect(typeof res.json?.detail).toBe('string');
      if ((expected ?? 400) === 400)
        expect((res.json?.errors as { field: string }[])[0]?.field).toBeTruthy();
      expect(await orderCount()).toBe(before);
      expect((await fetch(`${leader.url}/health/ready`)).status).toBe(200);
    },
  );

  it('answers 404 problem+json for an unknown order and 400 for a bad query', async () => {
    const missing = await fetch(`${leader.url}/orders/ord-nope`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/problem\+json/);
    const bad = await fetch(`${leader.url}/orders?limit=100000`);
    expect(bad.status).toBe(400);
    const badStatus = await fetch(`${leader.url}/orders?status=WEIRD`);
    expect(badStatus.status).toBe(400);
  });
});
