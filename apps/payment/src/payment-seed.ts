import type { SeedRecord, SeedSpec } from '@seamline/effect-service';
import { z } from 'zod';
import type { Account } from './payment-records.ts';
import { paymentKey } from './payment-records.ts';

/** Body of `POST /admin/seed`; every field optional, defaults are the demo's fixture. */
export const seedAccountsBody = z.strictObject({
  /** Accounts `cust-1..cust-<customers>`. @default 1000 */
  customers: z.number().int().min(0).max(1_000_000).default(1000),
  /** Opening balance of each. @default 1_000_000 */
  balanceCents: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(1_000_000),
  /** Also `cust-broke` with a zero balance (every charge declines). @default true */
  brokeCustomer: z.boolean().default(true),
});
export type SeedAccounts = z.infer<typeof seedAccountsBody>;

/** The accounts a seed asks for; existing ones keep their balances (they carry history). */
export function seedAccounts(seed: SeedAccounts): SeedRecord[] {
  const accounts: Account[] = [];
  for (let i = 1; i <= seed.customers; i++) {
    accounts.push({
      customerId: `cust-${i}`,
      balanceCents: seed.balanceCents,
      initialCents: seed.balanceCents,
    });
  }
  if (seed.brokeCustomer)
    accounts.push({ customerId: 'cust-broke', balanceCents: 0, initialCents: 0 });
  return accounts.map((a) => ({ key: paymentKey.account(a.customerId), value: a }));
}

export const paymentSeed: SeedSpec<SeedAccounts> = {
  body: seedAccountsBody,
  records: seedAccounts,
  logMessage: 'accounts seeded',
};
