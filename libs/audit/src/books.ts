import { ORDER_LIMITS } from '@seamline/contracts';
import { z } from 'zod';
import type { EffectKind, OrderStatus, ServiceDatabase, Violation } from './audit-report.ts';
import { violation } from './audit-report.ts';
import type { StoredRecord } from './replica-merge.ts';

/**
 * The storage edge of the auditor: rows of the three service databases parsed into the facts
 * the checks reason about. The auditor keeps its own schemas of the records (it must not trust
 * the services it audits to describe their own data), reading only the fields it checks:
 *
 *   order      `order:<orderId>`       the saga: status, reason, customer, items, total
 *   payment    `account:<customerId>`  balanceCents, initialCents
 *              `ledger:<effectKey>`    kind charge | refund, orderId, customerId, amountCents
 *   inventory  `stock:<sku>`           available, initial
 *              `ledger:<effectKey>`    kind reserve | release, orderId, items
 *
 *              `http-idem:<key>`      `pruned`: orders retention deleted (orderId, status)
 *
 * Every other record (idempotency records, charge states, reservations, tombstones) is ignored.
 * A tombstone (a record retention deleted) is no record: the books skip it.
 */

/** The domain each service writes its records in. */
export interface AuditDomains {
  /** @default 'order' */
  order: string;
  /** @default 'payment' */
  payment: string;
  /** @default 'inventory' */
  inventory: string;
}

export const DEFAULT_DOMAINS: Readonly<AuditDomains> = Object.freeze({
  order: 'order',
  payment: 'payment',
  inventory: 'inventory',
});

const id = z.string().min(1);
const cents = z.number().int().nonnegative();
const units = z.array(z.object({ sku: id, qty: z.number().int().positive() }));

const orderSchema = z.object({
  orderId: id,
  customerId: id,
  items: z.array(z.object({ sku: id, qty: z.number().int().positive(), unitPriceCents: cents })),
  /**
   * Read as written, even past the integers a double holds exactly: the order edge used to admit
   * such totals. None can have been charged (the bus contract refuses the amount at both ends),
   * so the order is audited like any other, its total flagged (`overLimit`), not the record
   * thrown away with its effects left looking like orphans.
   */
  totalCents: z.number().nonnegative().refine(Number.isInteger, 'not a whole number of cents'),
  status: z.enum(['PENDING', 'COMPENSATING', 'COMPLETED', 'CANCELLED']),
  reason: z.string().nullish(),
});
/** What an Idempotency-Key remembers of the orders retention deleted (ADR 0017). */
const keyRecordSchema = z.object({
  pruned: z
    .array(
      z.object({
        orderId: id,
        status: z.enum(['COMPLETED', 'CANCELLED']),
        reason: z.string().nullish(),
      }),
    )
    .optional(),
});
const accountSchema = z.object({ customerId: id, balanceCents: cents, initialCents: cents });
const paymentEntrySchema = z.object({
  kind: z.enum(['charge', 'refund']),
  orderId: id,
  customerId: id,
  amountCents: cents,
});
const stockSchema = z.object({ sku: id, available: cents, initial: cents });
const inventoryEntrySchema = z.object({
  kind: z.enum(['reserve', 'release']),
  orderId: id,
  items: units,
});

export interface OrderFact {
  readonly key: string;
  readonly orderId: string;
  readonly customerId: string;
  readonly status: OrderStatus;
  readonly reason: string | null;
  readonly totalCents: number;
  /** The total is beyond what the bus contract carries (ORDER_LIMITS.maxCents). */
  readonly overLimit: boolean;
  readonly items: readonly { sku: string; qty: number }[];
}

/** One ledger entry of either service. */
export interface EffectEntry {
  /** `ledger:<effectKey>` */
  readonly key: string;
  readonly effectKey: string;
  readonly kind: EffectKind;
  readonly orderId: string;
  /** Payment entries only. */
  readonly customerId?: string;
  readonly amountCents?: number;
  /** Inventory entries only. */
  readonly items?: readonly { sku: string; qty: number }[];
}

/** An order retention deleted: only its outcome is left to check its effects against. */
export interface PrunedOrderFact {
  /** The `http-idem:<key>` record that remembers it. */
  readonly key: string;
  readonly orderId: string;
  readonly status: 'COMPLETED' | 'CANCELLED';
}

export interface Books {
  readonly orders: readonly OrderFact[];
  /** Orders retention deleted; their effects are checked by kind, not by amount. */
  readonly prunedOrders: readonly PrunedOrderFact[];
  readonly effects: readonly EffectEntry[];
  readonly accounts: readonly z.infer<typeof accountSchema>[];
  readonly stock: readonly z.infer<typeof stockSchema>[];
  /** Records that failed their schema, as violations (they cannot be checked). */
  readonly malformed: readonly Violation[];
  /**
   * Ids of order records that failed their schema: reported once as malformed, and still known,
   * so their effects are not reported a second time as effects of an unknown order.
   */
  readonly unreadableOrders: readonly string[];
}

export type RecordsByDatabase = Readonly<Partial<Record<ServiceDatabase, readonly StoredRecord[]>>>;

/** Parses whatever databases are given; a missing one contributes nothing. */
export function readBooks(
  records: RecordsByDatabase,
  domains: AuditDomains = DEFAULT_DOMAINS,
  seenOn?: readonly string[],
): Books {
  const books = {
    orders: [] as OrderFact[],
    prunedOrders: [] as PrunedOrderFact[],
    effects: [] as EffectEntry[],
    accounts: [] as Books['accounts'][number][],
    stock: [] as Books['stock'][number][],
    malformed: [] as Violation[],
    unreadableOrders: [] as string[],
  };
  const parse = <T>(schema: z.ZodType<T>, record: StoredRecord, database: string) => {
    const parsed = schema.safeParse(record.value);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    const where = `${database} ${record.domain}/${record.key}`;
    const why = `${issue?.path.join('.') || 'value'}: ${issue?.message ?? 'invalid'}`;
    books.malformed.push(violation('malformed-record', record.key, `${where}: ${why}`, seenOn));
    return undefined;
  };
  const inDomain = (database: ServiceDatabase) =>
    (records[database] ?? []).filter((r) => r.domain === domains[database] && !r.deleted);

  for (const record of inDomain('order')) {
    if (record.key.startsWith('http-idem:')) {
      const held = parse(keyRecordSchema, record, 'order');
      for (const p of held?.pruned ?? [])
        books.prunedOrders.push({ key: record.key, orderId: p.orderId, status: p.status });
      continue;
    }
    if (!record.key.startsWith('order:')) continue;
    const order = parse(orderSchema, record, 'order');
    if (order) {
      const items = order.items.map(({ sku, qty }) => ({ sku, qty }));
      const overLimit = order.totalCents > ORDER_LIMITS.maxCents;
      books.orders.push({
        ...order,
        key: record.key,
        reason: order.reason ?? null,
        items,
        overLimit,
      });
    } else {
      books.unreadableOrders.push(record.key.slice('order:'.length));
    }
  }
  for (const record of inDomain('payment')) {
    if (record.key.startsWith('account:')) {
      const account = parse(accountSchema, record, 'payment');
      if (account) books.accounts.push(account);
    } else if (record.key.startsWith('ledger:')) {
      const entry = parse(paymentEntrySchema, record, 'payment');
      if (entry) books.effects.push({ ...entry, key: record.key, effectKey: effectKeyOf(record) });
    }
  }
  for (const record of inDomain('inventory')) {
    if (record.key.startsWith('stock:')) {
      const stock = parse(stockSchema, record, 'inventory');
      if (stock) books.stock.push(stock);
    } else if (record.key.startsWith('ledger:')) {
      const entry = parse(inventoryEntrySchema, record, 'inventory');
      if (entry) books.effects.push({ ...entry, key: record.key, effectKey: effectKeyOf(record) });
    }
  }
  return books;
}

function effectKeyOf(record: StoredRecord): string {
  return record.key.slice('ledger:'.length);
}

/** Units per sku, a sku named twice added up. */
export function unitsBySku(items: readonly { sku: string; qty: number }[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const { sku, qty } of items) out.set(sku, (out.get(sku) ?? 0) + qty);
  return out;
}

export function sameUnits(
  a: readonly { sku: string; qty: number }[],
  b: readonly { sku: string; qty: number }[],
): boolean {
  const ua = unitsBySku(a);
  const ub = unitsBySku(b);
  return ua.size === ub.size && [...ua].every(([sku, qty]) => ub.get(sku) === qty);
}

export function formatUnits(items: readonly { sku: string; qty: number }[]): string {
  return [...unitsBySku(items)].map(([sku, qty]) => `${qty}x${sku}`).join(' ');
}
