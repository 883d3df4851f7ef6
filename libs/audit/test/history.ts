/**
 * Test fixture: a consistent order history written the way the services write it (saga record,
 * ledger entries under their idempotency keys, balances and stock moved by exactly the ledger),
 * so tests can start from something the auditor must accept and plant one fault into it.
 */
import type { StackSnapshot, StoredRecord } from '@seamline/audit';

type Item = { sku: string; qty: number; unitPriceCents: number };
export type Outcome = 'completed' | 'declined' | 'out-of-stock' | 'refunded' | 'pending';

export interface HistoryRecords {
  order: StoredRecord[];
  payment: StoredRecord[];
  inventory: StoredRecord[];
}

const V1 = { fence: 1, seq: 1 };

export class History {
  private readonly orders: StoredRecord[] = [];
  private readonly ledgers = { payment: [] as StoredRecord[], inventory: [] as StoredRecord[] };
  private readonly accounts = new Map<
    string,
    { initial: number; balance: number; writes: number }
  >();
  private readonly stock = new Map<
    string,
    { initial: number; available: number; writes: number }
  >();

  account(customerId: string, cents: number): this {
    this.accounts.set(customerId, { initial: cents, balance: cents, writes: 1 });
    return this;
  }

  sku(sku: string, units: number): this {
    this.stock.set(sku, { initial: units, available: units, writes: 1 });
    return this;
  }

  order(orderId: string, customerId: string, items: Item[], outcome: Outcome): this {
    const total = items.reduce((sum, i) => sum + i.qty * i.unitPriceCents, 0);
    const units = items.map(({ sku, qty }) => ({ sku, qty }));
    const reserve = () => {
      this.move(units, -1);
      this.effect('inventory', orderId, 'reserve', { kind: 'reserve', orderId, items: units });
    };
    const release = () => {
      this.move(units, +1);
      this.effect('inventory', orderId, 'release', { kind: 'release', orderId, items: units });
    };
    const money = (kind: 'charge' | 'refund') => {
      const account = this.accounts.get(customerId)!;
      account.balance += kind === 'charge' ? -total : total;
      account.writes += 1;
      this.effect('payment', orderId, kind, { kind, orderId, customerId, amountCents: total });
    };
    let status = 'COMPLETED';
    let reason: string | null = null;
    if (outcome === 'completed') {
      reserve();
      money('charge');
    } else if (outcome === 'declined') {
      reserve();
      release();
      [status, reason] = ['CANCELLED', 'PAYMENT_DECLINED'];
    } else if (outcome === 'out-of-stock') {
      [status, reason] = ['CANCELLED', 'OUT_OF_STOCK'];
    } else if (outcome === 'refunded') {
      reserve();
      money('charge');
      money('refund');
      release();
      [status, reason] = ['CANCELLED', 'DEADLINE_EXCEEDED'];
    } else {
      status = 'PENDING';
    }
    this.orders.push({
      domain: 'order',
      key: `order:${orderId}`,
      version: { fence: 1, seq: 4 },
      tag: status,
      value: { orderId, customerId, items, totalCents: total, currency: 'USD', status, reason },
    });
    return this;
  }

  records(): HistoryRecords {
    const payment: StoredRecord[] = [...this.ledgers.payment];
    for (const [customerId, a] of this.accounts) {
      payment.push({
        domain: 'payment',
        key: `account:${customerId}`,
        version: { fence: 1, seq: a.writes },
        tag: null,
        value: { customerId, balanceCents: a.balance, initialCents: a.initial },
      });
    }
    const inventory: StoredRecord[] = [...this.ledgers.inventory];
    for (const [sku, s] of this.stock) {
      inventory.push({
        domain: 'inventory',
        key: `stock:${sku}`,
        version: { fence: 1, seq: s.writes },
        tag: null,
        value: { sku, available: s.available, initial: s.initial },
      });
    }
    return { order: [...this.orders], payment, inventory };
  }

  private move(units: { sku: string; qty: number }[], sign: 1 | -1): void {
    for (const { sku, qty } of units) {
      const s = this.stock.get(sku)!;
      s.available += sign * qty;
      s.writes += 1;
    }
  }

  private effect(db: 'payment' | 'inventory', orderId: string, action: string, value: object) {
    const step = action === 'charge' || action === 'refund' ? 'charge' : 'reserve';
    const key = `ledger:${orderId}:${step}:${action}`;
    this.ledgers[db].push({ domain: db, key, version: V1, tag: null, value });
  }
}

export const REPLICAS = ['pg-1', 'pg-2', 'pg-3'];

/** Every replica holding exactly these records. */
export function snapshotOf(records: HistoryRecords, replicas = REPLICAS): StackSnapshot {
  const db = (name: string, rows: StoredRecord[]) => ({
    name,
    replicas: replicas.map((replica) => ({ replica, records: rows.map((r) => ({ ...r })) })),
    unreachable: [],
  });
  return {
    order: db('seamline_order', records.order),
    payment: db('seamline_payment', records.payment),
    inventory: db('seamline_inventory', records.inventory),
  };
}

/** Returns a copy of the snapshot with `change` applied to one replica's rows of one database. */
export function onReplica(
  snapshot: StackSnapshot,
  database: keyof StackSnapshot,
  replica: string,
  change: (rows: StoredRecord[]) => StoredRecord[],
): StackSnapshot {
  return {
    ...snapshot,
    [database]: {
      ...snapshot[database],
      replicas: snapshot[database].replicas.map((r) =>
        r.replica === replica ? { replica, records: change([...r.records]) } : r,
      ),
    },
  };
}

/** The standard small history: every outcome once, over two customers and three skus. */
export function standardHistory(): History {
  return new History()
    .account('cust-1', 100_000)
    .account('cust-2', 50_000)
    .account('cust-broke', 0)
    .sku('sku-1', 100)
    .sku('sku-2', 100)
    .sku('sku-rare', 1)
    .order('ord-1', 'cust-1', [{ sku: 'sku-1', qty: 2, unitPriceCents: 1_250 }], 'completed')
    .order(
      'ord-2',
      'cust-2',
      [
        { sku: 'sku-2', qty: 1, unitPriceCents: 900 },
        { sku: 'sku-1', qty: 1, unitPriceCents: 100 },
      ],
      'completed',
    )
    .order('ord-3', 'cust-broke', [{ sku: 'sku-1', qty: 1, unitPriceCents: 500 }], 'declined')
    .order('ord-4', 'cust-1', [{ sku: 'sku-rare', qty: 1, unitPriceCents: 7_000 }], 'completed')
    .order('ord-5', 'cust-2', [{ sku: 'sku-rare', qty: 1, unitPriceCents: 7_000 }], 'out-of-stock')
    .order('ord-6', 'cust-1', [{ sku: 'sku-2', qty: 3, unitPriceCents: 300 }], 'refunded');
}
