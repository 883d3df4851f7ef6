import type { Violation } from './audit-report.ts';
import { violation } from './audit-report.ts';
import type { Books } from './books.ts';
import { effectsByOrder } from './order-outcome-check.ts';

/**
 * Invariant 2, conservation: balances and stock moved by exactly what the ledgers say.
 *
 *   per customer:  initialCents - Σ charges + Σ refunds = balanceCents
 *   per sku:       initial - Σ reserved + Σ released = available
 *   overall:       Σ charges of COMPLETED orders = Σ their totals
 *
 * A balance that moved without a ledger entry (a lost effect record) or a ledger entry whose
 * balance change was lost both break the first two lines. Ledger entries naming an account or
 * sku that does not exist are violations of their own.
 */
export interface ConservationFindings {
  readonly violations: readonly Violation[];
  readonly completedChargedCents: number;
  readonly completedTotalCents: number;
}

export function checkConservation(books: Books): ConservationFindings {
  const violations: Violation[] = [];
  const money = new Map(books.accounts.map((a) => [a.customerId, { charged: 0, refunded: 0 }]));
  const units = new Map(books.stock.map((s) => [s.sku, { reserved: 0, released: 0 }]));
  for (const entry of books.effects) {
    if (entry.kind === 'charge' || entry.kind === 'refund') {
      const flow = money.get(entry.customerId ?? '');
      if (!flow) {
        violations.push(
          violation(
            'unknown-account',
            entry.key,
            `${entry.kind} against unknown account ${entry.customerId}`,
          ),
        );
        continue;
      }
      if (entry.kind === 'charge') flow.charged += entry.amountCents ?? 0;
      else flow.refunded += entry.amountCents ?? 0;
      continue;
    }
    for (const { sku, qty } of entry.items ?? []) {
      const flow = units.get(sku);
      if (!flow) {
        violations.push(violation('unknown-sku', entry.key, `${entry.kind} of unknown sku ${sku}`));
        continue;
      }
      if (entry.kind === 'reserve') flow.reserved += qty;
      else flow.released += qty;
    }
  }
  for (const account of books.accounts) {
    const { charged, refunded } = money.get(account.customerId)!;
    const expected = account.initialCents - charged + refunded;
    if (expected !== account.balanceCents) {
      violations.push(
        violation(
          'balance-mismatch',
          `account:${account.customerId}`,
          `balance ${account.balanceCents} cents, but initial ${account.initialCents} - charges ` +
            `${charged} + refunds ${refunded} = ${expected} (off by ${account.balanceCents - expected})`,
        ),
      );
    }
  }
  for (const stock of books.stock) {
    const { reserved, released } = units.get(stock.sku)!;
    const expected = stock.initial - reserved + released;
    if (expected !== stock.available) {
      violations.push(
        violation(
          'stock-mismatch',
          `stock:${stock.sku}`,
          `${stock.available} available, but initial ${stock.initial} - reserved ${reserved} + ` +
            `released ${released} = ${expected} (off by ${stock.available - expected})`,
        ),
      );
    }
  }
  const byOrder = effectsByOrder(books.effects);
  let completedChargedCents = 0;
  let completedTotalCents = 0;
  for (const order of books.orders) {
    if (order.status !== 'COMPLETED') continue;
    completedTotalCents += order.totalCents;
    for (const charge of byOrder.get(order.orderId)?.charge ?? []) {
      completedChargedCents += charge.amountCents ?? 0;
    }
  }
  return { violations, completedChargedCents, completedTotalCents };
}
