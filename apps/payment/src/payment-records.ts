import { z } from 'zod';

/**
 * The payment domain's replicated records, exactly as the auditor reads them:
 * - `account:<customerId>`   the balance (one fenced writer: this service's leader)
 * - `ledger:<effectKey>`     one entry per charge or refund effect
 * - `charge-state:<orderId>` where an order's money stands; `refund-first` is a tombstone left by
 *                            a refund that arrived before any charge, so a late charge declines
 * - `idem:<effectKey>`       the idempotency record (written by @seamline/idempotency)
 * See docs/adr/0006-table-writers.md for who writes each.
 */
export const PAYMENT_DOMAIN = 'payment';

const cents = z.number().int().nonnegative();

export const accountRecord = z.object({
  customerId: z.string().min(1),
  balanceCents: cents,
  initialCents: cents,
});
export const ledgerRecord = z.object({
  kind: z.enum(['charge', 'refund']),
  orderId: z.string().min(1),
  customerId: z.string().min(1),
  amountCents: cents,
});
export const chargeStateRecord = z.object({
  state: z.enum(['charged', 'refunded', 'refund-first']),
});

export type Account = z.infer<typeof accountRecord>;
export type LedgerEntry = z.infer<typeof ledgerRecord>;
export type ChargeState = z.infer<typeof chargeStateRecord>;

export const paymentKey = {
  account: (customerId: string): string => `account:${customerId}`,
  ledger: (effectKey: string): string => `ledger:${effectKey}`,
  chargeState: (orderId: string): string => `charge-state:${orderId}`,
};
