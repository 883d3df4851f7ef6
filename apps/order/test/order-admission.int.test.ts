/**
 * Admission at the edge: with no payment or inventory service running, every accepted saga stays
 * open, so the leader reaches SEAMLINE_MAX_OPEN_SAGAS and must refuse further orders with 429
 * problem+json and Retry-After (not accept them to miss their deadlines later), through a
 * follower too, while reads keep answering.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../../infra/stack/index.ts';
import { leaderOf, orderReplicasPerFile, postOrder } from './order-harness.ts';

const order = (n: number) => ({
  customerId: `cust-${n}`,
  items: [{ sku: 'sku-1', qty: 1, unitPriceCents: 100 }],
  currency: 'USD',
});
const replicas = orderReplicasPerFile(
  2,
  { SEAMLINE_MAX_OPEN_SAGAS: '3', SEAMLINE_MAX_IN_FLIGHT: '8' },
  3950,
);

describe('admission of new orders', () => {
  it('answers 429 with Retry-After once the leader drives SEAMLINE_MAX_OPEN_SAGAS open sagas', async () => {
    const apps = replicas.apps();
    const leader = leaderOf(apps);
    const follower = apps.find((a) => a !== leader)!;
    const accepted: string[] = [];
    for (let i = 1; i <= 3; i++) {
      const res = await postOrder(leader.url, `admit-${i}`, order(i));
      expect(res.status).toBe(202);
      accepted.push(String(res.json?.orderId));
    }
    expect(leader.orchestrator.openCount).toBe(3);

    for (const base of [leader.url, follower.url]) {
      const refused = await postOrder(base, 'admit-4', order(4));
      expect(refused.status).toBe(429);
      expect(refused.headers.get('content-type')).toMatch(/problem\+json/);
      expect(refused.headers.get('retry-after')).toMatch(/^[1-3]$/);
      expect(String(refused.json?.detail)).toMatch(/3 sagas are still running/);
    }
    // Nothing was created for the refused key, and reads still answer.
    expect((await fetch(`${leader.url}/orders?limit=10`)).status).toBe(200);
    const listed = (await (await fetch(`${leader.url}/orders?limit=10`)).json()) as {
      orders: { orderId: string }[];
    };
    expect(listed.orders.map((o) => o.orderId).sort()).toEqual([...accepted].sort());
    const got = await fetch(`${follower.url}/orders/${accepted[0]}`);
    expect(got.status).toBe(200);
  });

  it('does not count long-polls against SEAMLINE_MAX_IN_FLIGHT: reads still answer while more clients wait than the bound', async () => {
    const apps = replicas.apps();
    const leader = leaderOf(apps);
    const listed = (await (await fetch(`${leader.url}/orders?limit=1`)).json()) as {
      orders: { orderId: string }[];
    };
    const id = listed.orders[0]!.orderId;
    const waiting = new AbortController();
    // 20 clients wait for the PENDING order (nothing drives it on: no payment or inventory).
    const polls = Array.from({ length: 20 }, () =>
      fetch(`${leader.url}/orders/${id}?waitMs=30000`, { signal: waiting.signal }).catch(
        () => 'aborted',
      ),
    );
    try {
      await waitFor(
        async () => ((await leader.metrics.httpInFlight.get()).values[0]?.value ?? 0) >= 20,
        { what: '20 long-polls held', timeoutMs: 15_000, intervalMs: 20 },
      );
      const read = await fetch(`${leader.url}/orders/${id}`);
      expect(read.status).toBe(200);
      const page = await fetch(`${leader.url}/orders?limit=1`);
      expect(page.status).toBe(200);
    } finally {
      waiting.abort();
      await Promise.all(polls);
    }
  });
});
