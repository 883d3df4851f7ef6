/**
 * The duplicate-effect signal can fire (issue 13): with payment's duplicate protection switched
 * off (SEAMLINE_UNSAFE_NO_DEDUP=on) and every command delivered twice, each charge takes effect
 * twice, and payment's own detector moves `seamline_duplicate_effects_total` once per doubled
 * charge, in agreement with the whole-snapshot auditor. With the protection on, the same
 * doubled delivery is absorbed (dedup hits) and the counter stays at 0.
 *
 * Hunts: a counter nothing increments (the alert and the dashboard can never change), a
 * detector that counts one duplicate again on every pass, one that calls a redelivery
 * answered from the stored result a duplicate, and a detector that disagrees with the auditor.
 */
import { METRIC_NAMES as M } from '@seamline/observability';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../infra/stack/index.ts';
import { metricSum, Pipeline } from './pipeline-harness.ts';

const ORDERS = 3;
const basePort = 3890 + Number(process.env.SEAMLINE_STACK_OFFSET ?? 0);

const order = (i: number) => ({
  customerId: `cust-${i + 1}`,
  items: [{ sku: `sku-${i + 1}`, qty: 1, unitPriceCents: 400 }],
  currency: 'USD',
});

/** Places ORDERS orders and waits until each is terminal. */
async function placeAll(p: Pipeline, label: string): Promise<string[]> {
  const placed = await Promise.all(
    Array.from({ length: ORDERS }, (_, i) => p.place(`${label}-${i}`, order(i))),
  );
  expect(
    placed.map((r) => r.status),
    JSON.stringify(placed.map((r) => r.json)),
  ).toEqual(Array(ORDERS).fill(202));
  const done = await Promise.all(placed.map((r) => p.settled(String(r.json.orderId))));
  expect(done.map((o) => o.status)).toEqual(Array(ORDERS).fill('COMPLETED'));
  return placed.map((r) => String(r.json.orderId));
}

/** Waits until both detectors finished a pass that began after every write so far. */
async function checkedEverything(p: Pipeline): Promise<void> {
  const services = [p.payment, p.inventory];
  const from = services.map((s) => s.duplicates.passes);
  await waitFor(
    () =>
      services.every((s, i) => s.duplicates.passes >= from[i]! + 2 && s.duplicates.waiting === 0),
    { what: 'a full duplicate-effect pass in payment and inventory', timeoutMs: 20_000 },
  );
}

const duplicates = (url: string, labels: Record<string, string> = {}) =>
  metricSum(url, M.duplicateEffects, labels);

describe('with duplicate protection off, every command delivered twice', () => {
  let p: Pipeline;

  beforeAll(async () => {
    p = await Pipeline.start({
      env: {
        SEAMLINE_DUPLICATE_DELIVERY: '2',
        SEAMLINE_UNSAFE_NO_DEDUP: 'on',
        SEAMLINE_DUPLICATE_CHECK_MS: '100',
      },
      basePort,
    });
    await p.seed();
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('counts each doubled charge once, as the auditor does, and never again on later passes', async () => {
    expect(await duplicates(p.payment.url)).toBe(0);
    await placeAll(p, 'dup-off');
    await waitFor(
      async () =>
        (await duplicates(p.payment.url, { service: 'payment', operation: 'charge' })) === ORDERS,
      { what: `${ORDERS} duplicated charges counted`, timeoutMs: 20_000 },
    );
    await checkedEverything(p);
    expect(await duplicates(p.payment.url, { service: 'payment', operation: 'charge' })).toBe(
      ORDERS,
    );
    expect(await duplicates(p.payment.url, { operation: 'refund' })).toBe(0);
    // Inventory kept its protection: its reserves were absorbed, not doubled.
    expect(await duplicates(p.inventory.url)).toBe(0);
    const report = await p.audit();
    expect(report.counts.duplicateEffects).toBe(ORDERS);
    expect(report.violations.filter((v) => v.rule === 'double-effect').length).toBeGreaterThan(0);
  });
});

describe('with duplicate protection on, every command delivered twice', () => {
  let p: Pipeline;

  beforeAll(async () => {
    p = await Pipeline.start({
      env: { SEAMLINE_DUPLICATE_DELIVERY: '2', SEAMLINE_DUPLICATE_CHECK_MS: '100' },
      basePort,
    });
    await p.seed();
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('absorbs every repeat as a dedup hit and keeps the duplicate-effect counter at 0', async () => {
    await placeAll(p, 'dup-on');
    await checkedEverything(p);
    expect(await metricSum(p.payment.url, M.dedupHits, { operation: 'charge' })).toBe(ORDERS);
    expect(await metricSum(p.inventory.url, M.dedupHits, { operation: 'reserve' })).toBe(ORDERS);
    expect(await duplicates(p.payment.url)).toBe(0);
    expect(await duplicates(p.inventory.url)).toBe(0);
    expect((await p.audit()).counts.duplicateEffects).toBe(0);
  });
});
