/**
 * The payment service against the real stack (3 Postgres, NATS cluster), through the bus.
 * Hunts: a replayed charge debiting twice or answering differently, a ledger entry missing from
 * (or doubled on) some replica, a reused key answered with another request's result, a declined
 * charge touching the balance, a refund of the wrong amount or twice, a late redelivery of an
 * applied charge answered DEADLINE_EXCEEDED (hole 1 of issue 9: the saga then took the charge
 * for never applied and kept the money on a cancelled order), a re-seed resetting a
 * balance, bad HTTP input crashing instead of a problem+json 400, and a writer that keeps
 * writing (or writes anything) after a newer writer fenced it.
 */
import type { Requester } from '@seamline/effect-service/testing';
import { LogCapture, ServiceUnderTest, waitFor } from '@seamline/effect-service/testing';
import { QuorumStore } from '@seamline/quorum-store';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { PaymentApp } from './src/payment-app.ts';
import { createPaymentApp } from './src/payment-app.ts';

const stack = inject('stack');
let t: ServiceUnderTest<PaymentApp>;
let svc: PaymentApp;
let orders: Requester;
const logs = new LogCapture();
const fatal: string[] = [];
const dedup = (operation: string) => t.dedupHits(operation);
const balances = (customer: string) =>
  t
    .onEveryReplica(`account:${customer}`)
    .then((vs) => vs.map((v) => (v as { balanceCents: number } | undefined)?.balanceCents));
const charge = (orderId: string, customerId: string, amountCents: number) => ({
  orderId,
  customerId,
  amountCents,
  currency: 'USD',
});

beforeAll(async () => {
  t = await ServiceUnderTest.start(stack, {
    service: 'payment',
    step: 'charge',
    namespace: 'pay',
    start: (config) =>
      createPaymentApp(config, {
        logDestination: logs,
        onFatal: (reason) => fatal.push(reason),
        // A command of a `late-` saga with a short deadline is held until that deadline passed.
        bus: {
          faults: {
            beforeHandle: (cmd) =>
              cmd.sagaId.startsWith('late-') && cmd.remainingMs() < 5_000
                ? { delayMs: Math.max(0, cmd.remainingMs()) + 50 }
                : undefined,
          },
        },
      }),
  });
  ({ svc, orders } = t);
  expect(await t.seed({ customers: 3, balanceCents: 10_000 })).toEqual({ created: 4, existing: 0 });
});

afterAll(async () => {
  await t?.close();
});

describe('charge', () => {
  it('answers a replay of the same key with the same result, with one ledger entry on every replica', async () => {
    const before = await dedup('charge');
    const key = await orders.send('charge', 'saga-1', charge('order-1', 'cust-1', 2_500));
    const [first] = await orders.waitReplies(key, 1);
    expect(first?.reply).toEqual({
      ok: true,
      result: { outcome: 'charged', balanceAfterCents: 7_500 },
    });

    await orders.send('charge', 'saga-1', charge('order-1', 'cust-1', 2_500), 2);
    const [, second] = await orders.waitReplies(key, 2);
    expect(second?.reply).toEqual(first?.reply);
    expect(await dedup('charge')).toBe(before + 1);

    await waitFor('the charge on every replica', async () =>
      (await balances('cust-1')).every((b) => b === 7_500),
    );
    const ledgers = await t.keysOnEveryReplica('ledger:saga-1:');
    expect(ledgers).toEqual(t.everywhere(['ledger:saga-1:charge:charge']));
  });

  it('refuses the same key with a different amount as IDEMPOTENCY_KEY_REUSED', async () => {
    const key = await orders.send('charge', 'saga-2', charge('order-2', 'cust-2', 1_000));
    await orders.waitReplies(key, 1);
    await orders.send('charge', 'saga-2', charge('order-2', 'cust-2', 9_999), 2);
    const [, reused] = await orders.waitReplies(key, 2);
    expect(reused?.reply).toMatchObject({
      ok: false,
      code: 'IDEMPOTENCY_KEY_REUSED',
      retryable: false,
    });
    await waitFor('cust-2 charged once', async () =>
      (await balances('cust-2')).every((b) => b === 9_000),
    );
  });

  it('declines insufficient funds as a result and leaves the balance untouched', async () => {
    const key = await orders.send('charge', 'saga-3', charge('order-3', 'cust-3', 10_001));
    const [reply] = await orders.waitReplies(key, 1);
    expect(reply?.reply).toEqual({
      ok: true,
      result: { outcome: 'declined', reason: 'INSUFFICIENT_FUNDS' },
    });
    const broke = await orders.send('charge', 'saga-4', charge('order-4', 'cust-broke', 1));
    expect((await orders.waitReplies(broke, 1))[0]?.reply).toMatchObject({
      result: { reason: 'INSUFFICIENT_FUNDS' },
    });
    expect(await balances('cust-3')).toEqual(t.everywhere(10_000));
    expect(await t.keysOnEveryReplica('ledger:saga-3:')).toEqual(t.everywhere([]));
  });
});

describe('a delivery past its deadline (hole 1)', () => {
  it('is answered from the stored result when an earlier delivery applied the charge', async () => {
    const key = await orders.send('charge', 'late-1', charge('order-late-1', 'cust-1', 500));
    const [first] = await orders.waitReplies(key, 1);
    expect(first?.reply).toMatchObject({ ok: true, result: { outcome: 'charged' } });

    // The first reply "was lost"; the re-drive is handled after its deadline passed.
    await orders.send(
      'charge',
      'late-1',
      charge('order-late-1', 'cust-1', 500),
      2,
      Date.now() + 300,
    );
    const [, late] = await orders.waitReplies(key, 2);
    expect(late?.reply).toEqual(first?.reply);

    // Put cust-1's money back for the tests below.
    const refund = await orders.send('refund', 'late-1', charge('order-late-1', 'cust-1', 500));
    await orders.waitReplies(refund, 1);
  });

  it('starts nothing when no delivery applied it, and says DEADLINE_EXCEEDED', async () => {
    const before = await balances('cust-2');
    const key = await orders.send(
      'charge',
      'late-2',
      charge('order-late-2', 'cust-2', 700),
      1,
      Date.now() + 300,
    );
    const [reply] = await orders.waitReplies(key, 1);
    expect(reply?.reply).toMatchObject({ ok: false, code: 'DEADLINE_EXCEEDED', retryable: false });
    expect(await balances('cust-2')).toEqual(before);
    expect(await t.keysOnEveryReplica('ledger:late-2:')).toEqual(t.everywhere([]));
  });
});

describe('refund', () => {
  it('gives back exactly the charged amount once, and a refund before its charge blocks the charge', async () => {
    const c = await orders.send('charge', 'saga-5', charge('order-5', 'cust-3', 4_000));
    await orders.waitReplies(c, 1);
    const r = await orders.send('refund', 'saga-5', charge('order-5', 'cust-3', 4_000));
    expect((await orders.waitReplies(r, 1))[0]?.reply).toEqual({
      ok: true,
      result: { outcome: 'refunded' },
    });
    await orders.send('refund', 'saga-5', charge('order-5', 'cust-3', 4_000), 2);
    expect((await orders.waitReplies(r, 2))[1]?.reply).toEqual({
      ok: true,
      result: { outcome: 'refunded' },
    });
    await waitFor('cust-3 back to 10000', async () =>
      (await balances('cust-3')).every((b) => b === 10_000),
    );

    const early = await orders.send('refund', 'saga-6', charge('order-6', 'cust-3', 500));
    expect((await orders.waitReplies(early, 1))[0]?.reply).toEqual({
      ok: true,
      result: { outcome: 'nothing-to-refund' },
    });
    const late = await orders.send('charge', 'saga-6', charge('order-6', 'cust-3', 500));
    expect((await orders.waitReplies(late, 1))[0]?.reply).toEqual({
      ok: true,
      result: { outcome: 'declined', reason: 'ALREADY_REFUNDED' },
    });
    expect(await balances('cust-3')).toEqual(t.everywhere(10_000));
  });
});

describe('HTTP side', () => {
  it('re-seeds without resetting balances that carry history', async () => {
    expect(await t.seed({ customers: 4, balanceCents: 10_000 })).toEqual({
      created: 1,
      existing: 4,
    });
    expect(await balances('cust-1')).toEqual(t.everywhere(7_500));
  });

  it('answers bad input with a problem+json 400 naming the field', async () => {
    const res = await fetch(`${svc.url}/admin/seed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ customers: -1 }),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.json()).toMatchObject({ status: 400, errors: [{ field: 'customers' }] });
    const malformed = await fetch(`${svc.url}/admin/seed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"customers":',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toContain('application/problem+json');
    expect((await fetch(`${svc.url}/health/ready`)).status).toBe(200);
  });

  it('exposes the seam metrics', async () => {
    const text = await (await fetch(`${svc.url}/metrics`)).text();
    expect(text).toMatch(
      /seamline_quorum_op_duration_seconds_count\{op="write",mode="quorum"\} [1-9]/,
    );
    expect(text).toMatch(/seamline_is_leader 1/);
  });
});

// Last: it stops this process's writer for good.
describe('fencing', () => {
  it('stops the writer at the first write a newer token rejects, logging both tokens, with no effect', async () => {
    const token = svc.writer.token!;
    const newer = await QuorumStore.open({ replicas: stack.postgres, database: t.ns.database });
    try {
      await newer.installFence('payment', token + 1_000);
    } finally {
      await newer.close();
    }
    const rejectionsBefore = await t.metric('seamline_fencing_rejections_total{domain="payment"}');
    await orders.send('charge', 'saga-9', charge('order-9', 'cust-1', 100));
    await waitFor('the writer to stop', () => fatal.length > 0);
    expect(fatal).toEqual(['fenced']);
    const stopped = logs.lines.filter((l) => l['event'] === 'writer-stopped');
    expect(stopped).toHaveLength(1);
    expect(stopped[0]).toMatchObject({
      level: 'error',
      staleToken: token,
      installedToken: token + 1_000,
    });
    expect(await t.metric('seamline_fencing_rejections_total{domain="payment"}')).toBeGreaterThan(
      rejectionsBefore,
    );
    expect(svc.writer.token).toBeUndefined();
    expect((await fetch(`${svc.url}/health/ready`)).status).toBe(503);
    expect(await balances('cust-1')).toEqual(t.everywhere(7_500));
    expect(await t.keysOnEveryReplica('ledger:saga-9:')).toEqual(t.everywhere([]));
  });
});
