/**
 * The demo's order mix, planned up front from a seed so a run can be repeated: mostly ordinary
 * orders (they complete), a share from `cust-broke` (the charge declines, the reservation is
 * released, the order is CANCELLED with PAYMENT_DECLINED), and two orders of `sku-rare`, which
 * has one unit: placed one after the other, the second is CANCELLED with OUT_OF_STOCK.
 */
import type { OrderBody } from './order-client.ts';

export type Intent = 'complete' | 'payment-declined' | 'rare-first' | 'rare-second';

export interface PlannedOrder {
  /** The Idempotency-Key: the same key on every retry of this order. */
  key: string;
  body: OrderBody;
  intent: Intent;
}

export interface WorkloadOptions {
  /** Total orders, the two rare ones included. @default 200 */
  orders?: number;
  /** Seed of the mix. @default 1 */
  seed?: number;
  /** Distinguishes this run's Idempotency-Keys from an earlier run's. */
  runId: string;
  /** Customers cust-1..cust-N to draw from. @default 1000 */
  customers?: number;
  /** Skus sku-1..sku-N to draw from. @default 1000 */
  skus?: number;
  /** Share of orders from cust-broke. @default 0.08 */
  brokeShare?: number;
}

/** mulberry32: small, fast, good enough to make a demo repeatable. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function planWorkload(options: WorkloadOptions): PlannedOrder[] {
  const total = options.orders ?? 200;
  if (!Number.isInteger(total) || total < 2)
    throw new RangeError(`orders must be >= 2, got ${total}`);
  const random = seededRandom(options.seed ?? 1);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const customers = options.customers ?? 1000;
  const skus = options.skus ?? 1000;
  const brokeShare = options.brokeShare ?? 0.08;
  const key = (i: number) => `demo-${options.runId}-${String(i).padStart(5, '0')}`;

  const planned: PlannedOrder[] = [];
  for (let i = 0; i < total - 2; i++) {
    const broke = random() < brokeShare;
    const lines = int(1, 3);
    const chosen = new Set<number>();
    while (chosen.size < Math.min(lines, skus)) chosen.add(int(1, skus));
    planned.push({
      key: key(i),
      intent: broke ? 'payment-declined' : 'complete',
      body: {
        customerId: broke ? 'cust-broke' : `cust-${int(1, customers)}`,
        items: [...chosen].map((n) => ({
          sku: `sku-${n}`,
          qty: int(1, 3),
          unitPriceCents: int(1, 50) * 100 - 1,
        })),
        currency: 'USD',
      },
    });
  }
  const rare = (i: number, intent: Intent): PlannedOrder => ({
    key: key(i),
    intent,
    body: {
      customerId: `cust-${int(1, customers)}`,
      items: [{ sku: 'sku-rare', qty: 1, unitPriceCents: 99_999 }],
      currency: 'USD',
    },
  });
  planned.push(rare(total - 2, 'rare-first'), rare(total - 1, 'rare-second'));
  return planned;
}
