import { z } from 'zod';

/**
 * The inventory domain's replicated records, exactly as the auditor reads them:
 * - `stock:<sku>`             units available (one fenced writer: this service's leader)
 * - `ledger:<effectKey>`      one entry per reserve or release effect
 * - `reservation:<orderId>`   what an order holds; `release-first` is a tombstone left by a
 *                             release that arrived before any reservation
 * - `idem:<effectKey>`        the idempotency record (written by @seamline/idempotency)
 * See docs/adr/0006-table-writers.md for who writes each.
 */
export const INVENTORY_DOMAIN = 'inventory';

const units = z.number().int().nonnegative();
const items = z.array(z.object({ sku: z.string().min(1), qty: z.number().int().positive() }));

export const stockRecord = z.object({ sku: z.string().min(1), available: units, initial: units });
export const ledgerRecord = z.object({
  kind: z.enum(['reserve', 'release']),
  orderId: z.string().min(1),
  items,
});
export const reservationRecord = z.object({
  state: z.enum(['reserved', 'released', 'release-first']),
  items,
});

export type Stock = z.infer<typeof stockRecord>;
export type LedgerEntry = z.infer<typeof ledgerRecord>;
export type Reservation = z.infer<typeof reservationRecord>;
export type Items = z.infer<typeof items>;

export const inventoryKey = {
  stock: (sku: string): string => `stock:${sku}`,
  ledger: (effectKey: string): string => `ledger:${effectKey}`,
  reservation: (orderId: string): string => `reservation:${orderId}`,
};

/** Units per sku, duplicates of a sku in one order added up, in sorted sku order. */
export function unitsBySku(list: Items): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of [...list].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0))) {
    out.set(item.sku, (out.get(item.sku) ?? 0) + item.qty);
  }
  return out;
}
