import type { SeedRecord, SeedSpec } from '@seamline/effect-service';
import { z } from 'zod';
import type { Stock } from './inventory-records.ts';
import { inventoryKey } from './inventory-records.ts';

/** Body of `POST /admin/seed`; every field optional, defaults are the demo's fixture. */
export const seedStockBody = z.strictObject({
  /** Skus `sku-1..sku-<skus>`. @default 1000 */
  skus: z.number().int().min(0).max(1_000_000).default(1000),
  /** Units of each. @default 1_000_000 */
  stock: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(1_000_000),
  /** Also `sku-rare` with a single unit (contended; most reservations of it decline). @default true */
  rareSku: z.boolean().default(true),
});
export type SeedStock = z.infer<typeof seedStockBody>;

/** The stock records a seed asks for; existing ones keep their counts (they carry history). */
export function seedStock(seed: SeedStock): SeedRecord[] {
  const stock: Stock[] = [];
  for (let i = 1; i <= seed.skus; i++)
    stock.push({ sku: `sku-${i}`, available: seed.stock, initial: seed.stock });
  if (seed.rareSku) stock.push({ sku: 'sku-rare', available: 1, initial: 1 });
  return stock.map((s) => ({ key: inventoryKey.stock(s.sku), value: s }));
}

export const inventorySeed: SeedSpec<SeedStock> = {
  body: seedStockBody,
  records: seedStock,
  logMessage: 'stock seeded',
};
