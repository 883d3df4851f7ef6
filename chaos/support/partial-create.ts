/**
 * A fixture for the failover path a SIGKILL leaves behind at random: an order whose create (the
 * order row and its Idempotency-Key response, one batch) reached some replicas under the dead
 * leader's token and was never acknowledged. Written straight into the chosen replicas, under
 * a token below the current leader's, after the current leader's reload, so the leader does not
 * drive it while a quorum read of its key finds the stored 202: exactly what a client retry
 * meets when the successor's reload missed a partial create.
 */
import { fingerprint } from '@seamline/contracts';
import pg from 'pg';
import { orderView } from '../../apps/order/src/order-service.ts';
import { startSaga } from '../../apps/order/src/saga/saga-machine.ts';
import type { ChaosPipeline } from './chaos-pipeline.ts';
import { orderIdForKey } from './order-load.ts';

export interface PlaceBody {
  readonly customerId: string;
  readonly items: readonly { sku: string; qty: number; unitPriceCents: number }[];
  readonly currency: 'USD';
}

export async function writePartialCreate(
  p: ChaosPipeline,
  options: { key: string; body: PlaceBody; token: number; replicas: readonly string[] },
): Promise<string> {
  const orderId = orderIdForKey(options.key);
  const now = Date.now();
  const { saga } = startSaga(
    { orderId, ...options.body, items: [...options.body.items], deadline: now + 30_000 },
    now,
  );
  const response = {
    fingerprint: fingerprint(options.body),
    orderId,
    status: 202,
    bodyText: JSON.stringify(orderView(saga, false)),
  };
  for (const name of options.replicas) {
    const replica = p.stack.postgres.find((r) => r.name === name);
    if (replica === undefined) throw new Error(`no replica ${name}`);
    const url = new URL(replica.url);
    url.pathname = `/${p.databases.order}`;
    const c = new pg.Client({ connectionString: url.toString() });
    await c.connect();
    try {
      await c.query(
        `insert into seamline_records (domain, key, fence, seq, tag, value)
         values ('order', $1, $3, 0, $4, $5), ('order', $2, $3, 0, null, $6)`,
        [
          `order:${orderId}`,
          `http-idem:${options.key}`,
          options.token,
          saga.status,
          JSON.stringify(saga),
          JSON.stringify(response),
        ],
      );
    } finally {
      await c.end();
    }
  }
  return orderId;
}
