/**
 * Hunts payment decision bugs: an overdraft, a charge after its refund (the refund-first
 * tombstone ignored), a refund of a different amount than was charged, a second debit or credit
 * for one order, and money created or destroyed by any order of charge and refund deliveries.
 */
import fc from 'fast-check';
import type { ChargeCommand } from '@seamline/contracts';
import type { RecordChange } from '@seamline/idempotency';
import { describe, expect, it } from 'vitest';
import { decideCharge, decideRefund } from './charge-decision.ts';
import type { Account, ChargeState, LedgerEntry } from './payment-records.ts';
import { paymentKey } from './payment-records.ts';

const seed = Number(process.env['SEAMLINE_SEED'] ?? Date.now() % 2 ** 31);
const CHARGE_KEY = 'saga-1:charge:charge';
const REFUND_KEY = 'saga-1:charge:refund';

function cmd(amountCents: number): ChargeCommand {
  return { orderId: 'order-1', customerId: 'cust-1', amountCents, currency: 'USD' };
}

/** Applies decisions in delivery order, as the single writer would. */
class Books {
  readonly records = new Map<string, unknown>();
  constructor(balance: number) {
    this.records.set(paymentKey.account('cust-1'), {
      customerId: 'cust-1',
      balanceCents: balance,
      initialCents: balance,
    });
  }
  get account(): Account {
    return this.records.get(paymentKey.account('cust-1')) as Account;
  }
  get state(): ChargeState | undefined {
    return this.records.get(paymentKey.chargeState('order-1')) as ChargeState | undefined;
  }
  ledger(key: string): LedgerEntry | undefined {
    return this.records.get(paymentKey.ledger(key)) as LedgerEntry | undefined;
  }
  apply(writes: readonly RecordChange[]): void {
    for (const w of writes) this.records.set(w.key, w.value);
  }
  charge(amount: number) {
    const d = decideCharge(cmd(amount), CHARGE_KEY, {
      account: this.account,
      chargeState: this.state,
    });
    this.apply(d.writes);
    return d.result;
  }
  refund(amount: number) {
    const d = decideRefund(cmd(amount), REFUND_KEY, {
      account: this.account,
      chargeState: this.state,
      charge: this.ledger(CHARGE_KEY),
    });
    this.apply(d.writes);
    return d.result;
  }
}

describe('charge decision', () => {
  it('debits exactly the amount when the balance covers it, and writes nothing otherwise', () => {
    fc.assert(
      fc.property(fc.nat(10_000), fc.nat(10_000), (balance, amount) => {
        const books = new Books(balance);
        const result = books.charge(amount);
        if (amount <= balance) {
          expect(result).toEqual({ outcome: 'charged', balanceAfterCents: balance - amount });
          expect(books.ledger(CHARGE_KEY)).toEqual({
            kind: 'charge',
            orderId: 'order-1',
            customerId: 'cust-1',
            amountCents: amount,
          });
          expect(books.state).toEqual({ state: 'charged' });
        } else {
          expect(result).toEqual({ outcome: 'declined', reason: 'INSUFFICIENT_FUNDS' });
          expect(books.records.size).toBe(1);
          expect(books.account.balanceCents).toBe(balance);
        }
      }),
      { seed },
    );
  });

  it('declines an unknown account as a business answer', () => {
    const d = decideCharge(cmd(5), CHARGE_KEY, { account: undefined, chargeState: undefined });
    expect(d).toEqual({ writes: [], result: { outcome: 'declined', reason: 'UNKNOWN_ACCOUNT' } });
  });
});

describe('charge and refund in any delivery order', () => {
  it(`never charge after a refund, refund exactly what was charged, and conserve money (seed ${seed})`, () => {
    fc.assert(
      fc.property(
        fc.nat(5_000),
        fc.integer({ min: 1, max: 5_000 }),
        fc.array(fc.constantFrom('charge', 'refund'), { minLength: 1, maxLength: 6 }),
        (balance, amount, events) => {
          const books = new Books(balance);
          let refundSeen = false;
          let charges = 0;
          let refunds = 0;
          for (const e of events) {
            if (e === 'charge') {
              const r = books.charge(amount);
              if (refundSeen)
                expect(r).toEqual({ outcome: 'declined', reason: 'ALREADY_REFUNDED' });
              if (r.outcome === 'charged' && books.ledger(CHARGE_KEY) !== undefined) charges = 1;
            } else {
              refundSeen = true;
              const r = books.refund(amount);
              if (r.outcome === 'refunded') refunds = 1;
            }
          }
          const moved = (charges - refunds) * amount;
          expect(books.account.balanceCents).toBe(balance - moved);
          expect(refunds).toBeLessThanOrEqual(charges);
          if (refunds === 1)
            expect(books.ledger(REFUND_KEY)?.amountCents).toBe(
              books.ledger(CHARGE_KEY)?.amountCents,
            );
        },
      ),
      { seed },
    );
  });

  it('refunds the charged amount even when the refund command names another', () => {
    const books = new Books(1000);
    books.charge(300);
    expect(books.refund(999)).toEqual({ outcome: 'refunded' });
    expect(books.account.balanceCents).toBe(1000);
    expect(books.ledger(REFUND_KEY)?.amountCents).toBe(300);
  });

  it('leaves a refund-first tombstone that makes a late charge decline', () => {
    const books = new Books(1000);
    expect(books.refund(300)).toEqual({ outcome: 'nothing-to-refund' });
    expect(books.state).toEqual({ state: 'refund-first' });
    expect(books.charge(300)).toEqual({ outcome: 'declined', reason: 'ALREADY_REFUNDED' });
    expect(books.account.balanceCents).toBe(1000);
  });
});
