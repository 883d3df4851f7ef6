/**
 * The inventory service with the bus's duplicate-delivery switch at 3 (every delivered command
 * runs through the handler three times, as redeliveries would). Hunts stock taken or given back
 * twice, a duplicate answered differently, and a dedup counter that does not count them.
 */
import { LogCapture, ServiceUnderTest, waitFor } from '@seamline/effect-service/testing';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import type { InventoryApp } from './src/inventory-app.ts';
import { createInventoryApp } from './src/inventory-app.ts';

let t: ServiceUnderTest<InventoryApp>;
const logs = new LogCapture();
const available = (sku: string) =>
  t
    .onEveryReplica(`stock:${sku}`)
    .then((vs) => vs.map((v) => (v as { available: number } | undefined)?.available));
const cmd = {
  orderId: 'order-1',
  items: [
    { sku: 'sku-1', qty: 4 },
    { sku: 'sku-2', qty: 1 },
  ],
};

beforeAll(async () => {
  t = await ServiceUnderTest.start(inject('stack'), {
    service: 'inventory',
    step: 'reserve',
    namespace: 'invdup',
    config: { duplicateDelivery: 3, logLevel: 'debug' },
    start: (config) => createInventoryApp(config, { logDestination: logs }),
  });
  await t.seed({ skus: 2, stock: 10, rareSku: false });
});

afterAll(async () => {
  await t?.close();
});

it('reserves once under triple delivery and counts two dedup hits', async () => {
  const before = await t.dedupHits('reserve');
  const key = await t.orders.send('reserve', 'saga-1', cmd);
  expect((await t.orders.waitReplies(key, 1))[0]?.reply).toEqual({
    ok: true,
    result: { outcome: 'reserved' },
  });
  // JetStream keeps one reply per attempt (reply msg-id dedup); the handler's answers are in the log.
  const answers = await waitFor(
    'three handler runs',
    () => logs.answers(key).length === 3 && logs.answers(key),
  );
  expect(answers).toEqual(
    [false, true, true].map((replayed) => ({ replayed, result: { outcome: 'reserved' } })),
  );
  expect(await t.dedupHits('reserve')).toBe(before + 2);
  await waitFor('the reservation on every replica', async () =>
    (await available('sku-1')).every((n) => n === 6),
  );
  expect(await available('sku-2')).toEqual(t.everywhere(9));
});

it('restores stock exactly once when a release is delivered three times', async () => {
  const before = await t.dedupHits('release');
  const key = await t.orders.send('release', 'saga-1', cmd);
  expect((await t.orders.waitReplies(key, 1))[0]?.reply).toEqual({
    ok: true,
    result: { outcome: 'released' },
  });
  const answers = await waitFor(
    'three handler runs',
    () => logs.answers(key).length === 3 && logs.answers(key),
  );
  expect(answers).toEqual(
    [false, true, true].map((replayed) => ({ replayed, result: { outcome: 'released' } })),
  );
  expect(await t.dedupHits('release')).toBe(before + 2);
  await waitFor('the release on every replica', async () =>
    (await available('sku-1')).every((n) => n === 10),
  );
  expect(await available('sku-2')).toEqual(t.everywhere(10));
  expect(await t.keysOnEveryReplica('ledger:')).toEqual(
    t.everywhere(['ledger:saga-1:reserve:release', 'ledger:saga-1:reserve:reserve']),
  );
});
