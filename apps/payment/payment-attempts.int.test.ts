/**
 * Attempts per logical effect at the receiver, driven by real duplicates: the bus's
 * duplicate-delivery switch at 2 (every delivery runs the handler twice, the second time as a
 * redelivery) and the requester re-sending the same charge as the orchestrator would (attempt
 * 2). Hunts arrivals filed under the wrong cause, a deduplicated replay left uncounted, a
 * per-key view that disagrees with the counters, and a key whose total is never observed as a
 * `layer="downstream"` sample, or is still answered after it was forgotten.
 */
import { LogCapture, ServiceUnderTest, waitFor } from '@seamline/effect-service/testing';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import type { PaymentApp } from './src/payment-app.ts';
import { createPaymentApp } from './src/payment-app.ts';

const TTL_MS = 3_000;
let t: ServiceUnderTest<PaymentApp>;
const logs = new LogCapture();
const cmd = { orderId: 'order-1', customerId: 'cust-1', amountCents: 300, currency: 'USD' };
const CAUSES = ['first', 'resend', 'redelivery'] as const;

beforeAll(async () => {
  t = await ServiceUnderTest.start(inject('stack'), {
    service: 'payment',
    step: 'charge',
    namespace: 'payatt',
    config: { duplicateDelivery: 2, logLevel: 'debug', attemptTtlMs: TTL_MS },
    start: (config) => createPaymentApp(config, { logDestination: logs, attemptSweepMs: 100 }),
  });
  await t.seed({ customers: 1, balanceCents: 1_000, brokeCustomer: false });
});

afterAll(async () => {
  await t?.close();
});

const arrivals = async () =>
  Object.fromEntries(
    await Promise.all(CAUSES.map(async (c) => [c, await t.arrivals('charge', c)] as const)),
  );
const downstream = async () => ({
  count: await t.metric('seamline_effect_attempts_count{layer="downstream"}'),
  sum: await t.metric('seamline_effect_attempts_sum{layer="downstream"}'),
});

it('counts a first send, its redelivery, a re-send and its redelivery as four arrivals of one key', async () => {
  const before = await arrivals();
  const observed = await downstream();

  const key = await t.orders.send('charge', 'saga-1', cmd, 1);
  await waitFor('two handler runs of send 1', () => logs.answers(key).length === 2);
  await t.orders.send('charge', 'saga-1', cmd, 2);
  await waitFor('two handler runs of send 2', () => logs.answers(key).length === 4);
  // One charge; the other three arrivals were answered from the stored result.
  expect(logs.answers(key).map((a) => a.replayed)).toEqual([false, true, true, true]);

  expect(await t.attemptsOf(key)).toEqual({
    status: 200,
    body: { key, total: 4, byCause: { first: 1, resend: 1, redelivery: 2 }, maxSend: 2 },
  });
  const after = await arrivals();
  expect(CAUSES.map((c) => after[c]! - before[c]!)).toEqual([1, 1, 2]);

  // Idle past the ttl: the key's total becomes exactly one downstream sample, then it is gone.
  const sample = await waitFor(
    'the key observed as a downstream sample',
    async () => {
      const now = await downstream();
      return now.count > observed.count && now;
    },
    TTL_MS + 10_000,
  );
  expect([sample.count - observed.count, sample.sum - observed.sum]).toEqual([1, 4]);
  const gone = await t.attemptsOf(key);
  expect(gone.status).toBe(404);
  expect(gone.body).toMatchObject({ status: 404, title: 'Unknown effect key' });
});

it('answers 404 problem+json for a key it never saw', async () => {
  const res = await fetch(`${t.svc.url}/ops/attempts/${encodeURIComponent('nope:charge:charge')}`);
  expect(res.status).toBe(404);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
});
