/**
 * Issue 9, hole 7: retention of terminal orders (ADR 0017), on the real stack. Hunts: a pruned
 * order or response that a replica which was down during the prune brings back (read-repair or
 * anti-entropy resurrecting the record instead of carrying the tombstone), a prune that touches
 * an order still running, a tombstone purged while a replica still lacks it, batch rows left
 * behind for ever, a reused Idempotency-Key that replays a pruned order or reuses its order id
 * (whose books payment and inventory keep for ever), and books the auditor no longer accepts.
 * Retention is 1 ms and the passes are driven directly: no timer, no sleep.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signalProcess, waitFor } from '../infra/stack/index.ts';
import { stackOptionsFromEnv } from '../infra/stack/env-options.ts';
import { queryReplica } from '../apps/order/test/order-harness.ts';
import { Pipeline } from './pipeline-harness.ts';

const stackOptions = stackOptionsFromEnv();
const item = (sku: string, qty = 1, unitPriceCents = 500) => ({ sku, qty, unitPriceCents });
const body = (customerId: string, items: unknown[]) => ({ customerId, items, currency: 'USD' });

let p: Pipeline;

const onReplica = <T>(index: number, sql: string, params: unknown[] = []) =>
  queryReplica<T>(index, p.databases.order, sql, params);

const REPLICAS = [0, 1, 2];
type Row = { key: string; deleted: boolean; tag: string | null; value: unknown };
const rowsOf = (index: number, keys: string[]) =>
  onReplica<Row>(
    index,
    'select key, deleted, tag, value from seamline_records where key = any($1)',
    [keys],
  );

beforeAll(async () => {
  p = await Pipeline.start({
    orderReplicas: 1,
    basePort: 3870,
    env: {
      SEAMLINE_ORDER_RETENTION_MS: '1',
      SEAMLINE_RETENTION_EVERY_MS: '0',
      SEAMLINE_TOMBSTONE_GRACE_MS: '0',
      SEAMLINE_ANTI_ENTROPY_MS: '0',
    },
  });
  await p.seed();
});
afterAll(async () => {
  await signalProcess('pg-3', 'resume', stackOptions).catch(() => undefined);
  await p?.stop();
});

describe('hole 7: retention', () => {
  it('prunes old terminal orders everywhere, keeps running ones, lets a key make a new order, and the books still audit', async () => {
    const done = await p.place('ret-done', body('cust-1', [item('sku-1', 2)]));
    const declined = await p.place('ret-declined', body('cust-broke', [item('sku-2')]));
    const doneId = String(done.json.orderId);
    const declinedId = String(declined.json.orderId);
    expect((await p.settled(doneId)).status).toBe('COMPLETED');
    expect((await p.settled(declinedId)).status).toBe('CANCELLED');

    // A running order: payment is away, so its charge waits.
    await p.stopPayment();
    const open = await p.place('ret-open', body('cust-3', [item('sku-3')]));
    const openId = String(open.json.orderId);
    expect(open.status).toBe(202);

    const pruned = [`order:${doneId}`, `order:${declinedId}`];
    const responses = ['http-idem:ret-done', 'http-idem:ret-declined'];
    await waitFor(async () => (await rowsOf(2, [...pruned, ...responses])).length === 4, {
      what: 'both terminal orders and their responses on pg-3',
      timeoutMs: 10_000,
    });

    // pg-3 is frozen through the prune: it keeps the live records.
    await signalProcess('pg-3', 'pause', stackOptions);
    let first;
    try {
      first = await p.leader.retention.pass();
    } finally {
      await signalProcess('pg-3', 'resume', stackOptions);
    }
    expect(first?.pruned).toBe(2);
    // Nothing is purged while a replica cannot confirm it holds the tombstone.
    expect(first?.purge?.tombstones).toBe(0);
    expect(first?.purge?.unreachable).toContain('pg-3');
    expect((await fetch(`${p.leader.url}/orders/${doneId}`)).status).toBe(404);
    expect((await fetch(`${p.leader.url}/orders/${declinedId}`)).status).toBe(404);
    expect(
      (await rowsOf(2, pruned)).every((r) => !r.deleted),
      'pg-3 missed the prune',
    ).toBe(true);

    // Anti-entropy carries the tombstones to pg-3; it never copies pg-3's live records back.
    await waitFor(
      async () => {
        await p.leader.store.antiEntropy();
        const rows = await rowsOf(2, [...pruned, ...responses]);
        return rows.filter((r) => r.deleted || r.tag === 'retired').length === 4;
      },
      { what: 'the tombstones and retired responses on pg-3', timeoutMs: 20_000, intervalMs: 100 },
    );
    for (const i of REPLICAS) {
      const rows = await rowsOf(i, pruned);
      expect(rows.map((r) => r.deleted)).toEqual([true, true]);
    }

    // The running order and its response were not touched.
    const stillOpen = await fetch(`${p.leader.url}/orders/${openId}`);
    expect(stillOpen.status).toBe(200);
    expect(((await stillOpen.json()) as { status: string }).status).toBe('PENDING');
    for (const i of REPLICAS) {
      const rows = await rowsOf(i, [`order:${openId}`, 'http-idem:ret-open']);
      expect(rows.filter((r) => !r.deleted && r.tag !== 'retired')).toHaveLength(2);
    }

    // Every replica holds the tombstones now: the next pass purges them, and the batch rows
    // that only the pruned records named.
    const second = await p.leader.retention.pass();
    expect(second?.purge).toMatchObject({ tombstones: 2, unreachable: [] });
    expect(second?.purge?.batches).toBeGreaterThan(0);
    for (const i of REPLICAS) {
      expect(await rowsOf(i, pruned)).toEqual([]);
      const idem = await rowsOf(i, responses);
      expect(idem.map((r) => r.tag)).toEqual(['retired', 'retired']);
      // Only the prune's own batch (named by the retired responses) still mentions the order.
      const batches = await onReplica<{ n: string }>(
        i,
        `select count(*)::text as n from seamline_batches where members::text like $1`,
        [`%order:${doneId}%`],
      );
      expect(batches[0]?.n).toBe('1');
    }
    const prunedTotal = (await p.leader.metrics.recordsPruned.get()).values.find(
      (v) => v.labels.domain === 'order',
    )?.value;
    expect(prunedTotal).toBe(4);

    // Payment back: the running order finishes.
    await p.startPayment();
    expect((await p.settled(openId)).status).toBe('COMPLETED');

    // The same key after its window: a new order, with an id of its own, not a replay.
    const again = await p.place('ret-done', body('cust-1', [item('sku-1', 2)]));
    expect(again.status).toBe(202);
    const againId = String(again.json.orderId);
    expect(againId).not.toBe(doneId);
    expect((await p.settled(againId)).status).toBe('COMPLETED');
    // And its retry replays the new order.
    const replay = await p.place('ret-done', body('cust-1', [item('sku-1', 2)]));
    expect(replay.json.orderId).toBe(againId);

    // The books: the pruned orders' effects are known (no orphans) and balanced by outcome.
    const report = await p.audit();
    expect(report.violations).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
