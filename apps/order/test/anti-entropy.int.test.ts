/**
 * The leader's periodic anti-entropy: a replica that lacks a record of the order database (it
 * missed the write while W others acked) gets it back without any read touching the order, and the repair
 * is counted. With the loop off (SEAMLINE_ANTI_ENTROPY_MS=0) nothing would bring it back.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../../infra/stack/index.ts';
import { httpIdemKey } from '../src/orchestrator/order-records.ts';
import { leaderOf, orderReplicasPerFile, postOrder, queryReplica } from './order-harness.ts';

const replicas = orderReplicasPerFile(1, { SEAMLINE_ANTI_ENTROPY_MS: '300' }, 3960);

const onReplica = <T>(index: number, sql: string, params: unknown[]) =>
  queryReplica<T>(index, `order_${replicas.isolation().suffix}`, sql, params);

describe('periodic anti-entropy on the order leader', () => {
  it('puts a record a replica lost back on it and counts the repair', async () => {
    const leader = leaderOf(replicas.apps());
    const placed = await postOrder(leader.url, 'anti-entropy-1', {
      customerId: 'cust-1',
      items: [{ sku: 'sku-1', qty: 1, unitPriceCents: 100 }],
      currency: 'USD',
    });
    expect(placed.status).toBe(202);
    // The stored HTTP response of the key: written once, so only a repair can bring it back
    // (the saga's own record is rewritten by every re-drive).
    const key = httpIdemKey('anti-entropy-1');
    const repairs = async () =>
      (await leader.metrics.quorumRepairs.get()).values.find((v) => v.labels.domain === 'order')
        ?.value ?? 0;
    // Every replica holds the order once the write settles (W acks first, the third follows).
    await waitFor(
      async () =>
        (await onReplica(2, 'select 1 from seamline_records where key = $1', [key])).length === 1,
      { what: 'the stored response on pg-3', timeoutMs: 10_000 },
    );
    const before = await repairs();
    const deleted = await onReplica(
      2,
      'delete from seamline_records where key = $1 returning key',
      [key],
    );
    expect(deleted).toHaveLength(1);
    // Anti-entropy is incremental (ADR 0015): it compares what changed since its watermark. A
    // replica that missed a write shows as a change on the replicas that took it, so the
    // record's change on pg-1 is renumbered as if pg-1 had just applied it.
    await onReplica(0, 'update seamline_records set change_seq = default where key = $1', [key]);

    await waitFor(
      async () =>
        (await onReplica(2, 'select 1 from seamline_records where key = $1', [key])).length === 1,
      { what: 'anti-entropy to put the stored response back on pg-3', timeoutMs: 15_000 },
    );
    expect(await repairs()).toBeGreaterThan(before);
  });
});
