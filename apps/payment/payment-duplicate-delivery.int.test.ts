/**
 * The payment service with the bus's duplicate-delivery switch at 3 (every delivered command runs
 * through the handler three times, as redeliveries would). Hunts a second debit or credit from a
 * duplicate, a duplicate answered differently, and a dedup counter that does not count them.
 */
import { LogCapture, ServiceUnderTest, waitFor } from '@seamline/effect-service/testing';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import type { PaymentApp } from './src/payment-app.ts';
import { createPaymentApp } from './src/payment-app.ts';

let t: ServiceUnderTest<PaymentApp>;
const logs = new LogCapture();
const balances = () =>
  t
    .onEveryReplica('account:cust-1')
    .then((vs) => vs.map((v) => (v as { balanceCents: number } | undefined)?.balanceCents));
const cmd = { orderId: 'order-1', customerId: 'cust-1', amountCents: 300, currency: 'USD' };

beforeAll(async () => {
  t = await ServiceUnderTest.start(inject('stack'), {
    service: 'payment',
    step: 'charge',
    namespace: 'paydup',
    config: { duplicateDelivery: 3, logLevel: 'debug' },
    start: (config) => createPaymentApp(config, { logDestination: logs }),
  });
  await t.seed({ customers: 1, balanceCents: 1_000, brokeCustomer: false });
});

afterAll(async () => {
  await t?.close();
});

it('applies a charge delivered three times once, answers all three alike, and counts two dedup hits', async () => {
  const before = await t.dedupHits('charge');
  const key = await t.orders.send('charge', 'saga-1', cmd);
  const [reply] = await t.orders.waitReplies(key, 1);
  const charged = { outcome: 'charged', balanceAfterCents: 700 };
  expect(reply?.reply).toEqual({ ok: true, result: charged });
  // JetStream keeps one reply per attempt (reply msg-id dedup); the handler's answers are in the log.
  const answers = await waitFor(
    'three handler runs',
    () => logs.answers(key).length === 3 && logs.answers(key),
  );
  expect(answers).toEqual([false, true, true].map((replayed) => ({ replayed, result: charged })));
  expect(await t.dedupHits('charge')).toBe(before + 2);
  await waitFor('the charge on every replica', async () =>
    (await balances()).every((b) => b === 700),
  );
  expect(await t.keysOnEveryReplica('ledger:')).toEqual(
    t.everywhere(['ledger:saga-1:charge:charge']),
  );
});

it('refunds once under triple delivery, restoring the balance exactly', async () => {
  const before = await t.dedupHits('refund');
  const key = await t.orders.send('refund', 'saga-1', cmd);
  const [reply] = await t.orders.waitReplies(key, 1);
  expect(reply?.reply).toEqual({ ok: true, result: { outcome: 'refunded' } });
  const answers = await waitFor(
    'three handler runs',
    () => logs.answers(key).length === 3 && logs.answers(key),
  );
  expect(answers).toEqual(
    [false, true, true].map((replayed) => ({ replayed, result: { outcome: 'refunded' } })),
  );
  expect(await t.dedupHits('refund')).toBe(before + 2);
  await waitFor('the refund on every replica', async () =>
    (await balances()).every((b) => b === 1_000),
  );
  expect(await t.keysOnEveryReplica('ledger:')).toEqual(
    t.everywhere(['ledger:saga-1:charge:charge', 'ledger:saga-1:charge:refund']),
  );
});
