/**
 * The inventory service against the real stack (3 Postgres, NATS cluster), through the bus.
 * Hunts: a partial reservation when one sku is short, a replayed reservation taking stock twice
 * or answering differently, a ledger entry missing from (or doubled on) some replica, a reused
 * key answered with another request's result, a reservation after its release, a re-seed
 * resetting stock, and bad HTTP input answered with anything but a problem+json 400.
 */
import { ServiceUnderTest, waitFor } from '@seamline/effect-service/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { InventoryApp } from './src/inventory-app.ts';
import { createInventoryApp } from './src/inventory-app.ts';

let t: ServiceUnderTest<InventoryApp>;
const available = (sku: string) =>
  t
    .onEveryReplica(`stock:${sku}`)
    .then((vs) => vs.map((v) => (v as { available: number } | undefined)?.available));
const everywhere = <T>(value: T): T[] => t.everywhere(value);

beforeAll(async () => {
  t = await ServiceUnderTest.start(inject('stack'), {
    service: 'inventory',
    step: 'reserve',
    namespace: 'inv',
    start: (config) => createInventoryApp(config),
  });
  expect(await t.seed({ skus: 3, stock: 10 })).toEqual({ created: 4, existing: 0 });
});

afterAll(async () => {
  await t?.close();
});

describe('reserve', () => {
  it('reserves nothing when one sku is short, naming that sku', async () => {
    const key = await t.orders.send('reserve', 'saga-1', {
      orderId: 'order-1',
      items: [
        { sku: 'sku-1', qty: 2 },
        { sku: 'sku-rare', qty: 2 },
      ],
    });
    const [reply] = await t.orders.waitReplies(key, 1);
    expect(reply?.reply).toEqual({
      ok: true,
      result: { outcome: 'declined', reason: 'OUT_OF_STOCK', sku: 'sku-rare' },
    });
    expect(await available('sku-1')).toEqual(everywhere(10));
    expect(await available('sku-rare')).toEqual(everywhere(1));
    expect(await t.keysOnEveryReplica('reservation:order-1')).toEqual(everywhere([]));
    expect(await t.keysOnEveryReplica('ledger:')).toEqual(everywhere([]));
  });

  it('answers a replay with the same result and takes stock once, on every replica', async () => {
    const before = await t.dedupHits('reserve');
    const cmd = {
      orderId: 'order-2',
      items: [
        { sku: 'sku-2', qty: 3 },
        { sku: 'sku-1', qty: 1 },
        { sku: 'sku-2', qty: 1 },
      ],
    };
    const key = await t.orders.send('reserve', 'saga-2', cmd);
    const [first] = await t.orders.waitReplies(key, 1);
    expect(first?.reply).toEqual({ ok: true, result: { outcome: 'reserved' } });
    await t.orders.send('reserve', 'saga-2', cmd, 2);
    const [, second] = await t.orders.waitReplies(key, 2);
    expect(second?.reply).toEqual(first?.reply);
    expect(await t.dedupHits('reserve')).toBe(before + 1);
    await waitFor('the reservation on every replica', async () =>
      (await available('sku-2')).every((n) => n === 6),
    );
    expect(await available('sku-1')).toEqual(everywhere(9));
    expect(await t.keysOnEveryReplica('ledger:')).toEqual(
      everywhere(['ledger:saga-2:reserve:reserve']),
    );
  });

  it('refuses the same key with different items as IDEMPOTENCY_KEY_REUSED', async () => {
    const key = await t.orders.send('reserve', 'saga-3', {
      orderId: 'order-3',
      items: [{ sku: 'sku-3', qty: 1 }],
    });
    await t.orders.waitReplies(key, 1);
    await t.orders.send(
      'reserve',
      'saga-3',
      { orderId: 'order-3', items: [{ sku: 'sku-3', qty: 5 }] },
      2,
    );
    const [, reused] = await t.orders.waitReplies(key, 2);
    expect(reused?.reply).toMatchObject({
      ok: false,
      code: 'IDEMPOTENCY_KEY_REUSED',
      retryable: false,
    });
    await waitFor('sku-3 taken once', async () => (await available('sku-3')).every((n) => n === 9));
  });
});

describe('release', () => {
  it('gives back exactly what was reserved, and a release before its reserve blocks the reserve', async () => {
    const r = await t.orders.send('release', 'saga-2', {
      orderId: 'order-2',
      items: [
        { sku: 'sku-2', qty: 4 },
        { sku: 'sku-1', qty: 1 },
      ],
    });
    expect((await t.orders.waitReplies(r, 1))[0]?.reply).toEqual({
      ok: true,
      result: { outcome: 'released' },
    });
    await waitFor('stock restored everywhere', async () =>
      (await available('sku-2')).every((n) => n === 10),
    );
    expect(await available('sku-1')).toEqual(everywhere(10));

    const early = await t.orders.send('release', 'saga-4', {
      orderId: 'order-4',
      items: [{ sku: 'sku-1', qty: 1 }],
    });
    expect((await t.orders.waitReplies(early, 1))[0]?.reply).toEqual({
      ok: true,
      result: { outcome: 'nothing-to-release' },
    });
    const late = await t.orders.send('reserve', 'saga-4', {
      orderId: 'order-4',
      items: [{ sku: 'sku-1', qty: 1 }],
    });
    expect((await t.orders.waitReplies(late, 1))[0]?.reply).toEqual({
      ok: true,
      result: { outcome: 'declined', reason: 'ALREADY_RELEASED', sku: 'sku-1' },
    });
    expect(await available('sku-1')).toEqual(everywhere(10));
  });
});

describe('HTTP side', () => {
  it('re-seeds without resetting stock that carries history', async () => {
    expect(await t.seed({ skus: 4, stock: 10 })).toEqual({ created: 1, existing: 4 });
    expect(await available('sku-3')).toEqual(everywhere(9));
  });

  it('answers bad input with a problem+json 400 naming the field', async () => {
    const res = await fetch(`${t.svc.url}/admin/seed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ skus: 2, stok: 5 }),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.json()).toMatchObject({ status: 400, errors: [{ field: 'stok' }] });
  });
});
