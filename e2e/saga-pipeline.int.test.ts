/**
 * Hunts pipeline bugs end to end (HTTP → orchestrator → JetStream → payment/inventory →
 * replies): an order that never finishes, a charge without stock, stock left reserved after a
 * declined payment, a charge for an out-of-stock order, and an effect applied twice when every
 * command is delivered three times. The invariant auditor runs at the end of each suite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricSum, Pipeline } from './pipeline-harness.ts';

const item = (sku: string, qty = 1, unitPriceCents = 500) => ({ sku, qty, unitPriceCents });
const body = (customerId: string, items: unknown[]) => ({ customerId, items, currency: 'USD' });

describe('the saga pipeline', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await Pipeline.start();
    await p.seed();
  });
  afterAll(async () => {
    const report = await p.audit();
    await p.stop();
    expect(report.violations).toEqual([]);
  });

  it('completes an order with one reservation and one charge', async () => {
    const placed = await p.place(
      'happy-1',
      body('cust-1', [item('sku-1', 2), item('sku-2', 1, 250)]),
    );
    expect(placed.status).toBe(202);
    const done = await p.settled(String(placed.json.orderId));
    expect(done).toMatchObject({ status: 'COMPLETED', totalCents: 1250 });
    const events = (done.steps as { event: string }[]).map((s) => s.event);
    expect(events).toEqual(
      expect.arrayContaining(['reserve:applied', 'charge:applied', 'completed']),
    );
  });

  it('cancels a declined payment and releases the stock', async () => {
    const placed = await p.place('broke-1', body('cust-broke', [item('sku-3', 5)]));
    const done = await p.settled(String(placed.json.orderId));
    expect(done).toMatchObject({ status: 'CANCELLED', reason: 'PAYMENT_DECLINED' });
    const events = (done.steps as { event: string }[]).map((s) => s.event);
    expect(events).toEqual(expect.arrayContaining(['charge:declined', 'release:applied']));
  });

  it('cancels an out-of-stock order without charging anything', async () => {
    const first = await p.place('rare-1', body('cust-2', [item('sku-rare')]));
    expect(await p.settled(String(first.json.orderId))).toMatchObject({ status: 'COMPLETED' });
    const second = await p.place('rare-2', body('cust-3', [item('sku-rare')]));
    const done = await p.settled(String(second.json.orderId));
    expect(done).toMatchObject({ status: 'CANCELLED', reason: 'OUT_OF_STOCK' });
    expect((done.steps as { event: string }[]).map((s) => s.event)).not.toContain('charge:sent');
  });

  it('answers a POST with Prefer: wait=N with the terminal order, on the leader and through a follower', async () => {
    const follower = p.orders.find((o) => o !== p.leader)!;
    for (const [i, base] of [p.leader.url, follower.url].entries()) {
      const res = await fetch(`${base}/orders`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': `prefer-wait-${i}`,
          prefer: 'respond-async, wait=20',
        },
        body: JSON.stringify(body('cust-4', [item('sku-4')])),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('preference-applied')).toBe('wait=20');
      expect(res.headers.get('location')).toMatch(/^\/orders\/ord-/);
      const done = (await res.json()) as { status: string; steps: { event: string }[] };
      expect(done.status).toBe('COMPLETED');
      expect(done.steps.map((s) => s.event)).toContain('completed');
      // The same key without the preference replays the first answer, 202.
      const again = await p.place(`prefer-wait-${i}`, body('cust-4', [item('sku-4')]), base);
      expect(again.status).toBe(202);
    }
  });

  it('drives orders placed through either replica to completion', async () => {
    const placed = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        p.place(
          `mix-${i}`,
          body(`cust-${(i % 10) + 1}`, [item(`sku-${(i % 5) + 1}`)]),
          p.orders[i % p.orders.length]!.url,
        ),
      ),
    );
    expect(placed.every((r) => r.status === 202)).toBe(true);
    const done = await Promise.all(placed.map((r) => p.settled(String(r.json.orderId))));
    expect(done.every((o) => o.status === 'COMPLETED')).toBe(true);
  });
});

describe('the saga pipeline with every command delivered three times', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await Pipeline.start({ env: { SEAMLINE_DUPLICATE_DELIVERY: '3' }, basePort: 3810 });
    await p.seed();
  });
  afterAll(async () => {
    const report = await p.audit();
    await p.stop();
    expect(report.violations).toEqual([]);
  });

  it('applies each effect once and counts every extra delivery as a dedup hit', async () => {
    const placed = await Promise.all([
      p.place('dup-ok', body('cust-1', [item('sku-1')])),
      p.place('dup-broke', body('cust-broke', [item('sku-2')])),
    ]);
    const done = await Promise.all(placed.map((r) => p.settled(String(r.json.orderId))));
    expect(done.map((o) => o.status)).toEqual(['COMPLETED', 'CANCELLED']);
    // Commands: reserve+charge for the first; reserve+charge+release for the second.
    // Each delivered three times: two dedup hits per command.
    const payHits = await metricSum(p.payment.url, 'seamline_dedup_hits_total');
    const invHits = await metricSum(p.inventory.url, 'seamline_dedup_hits_total');
    expect(payHits).toBe(2 * 2);
    expect(invHits).toBe(2 * 3);
  });
});
