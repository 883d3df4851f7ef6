/**
 * The payment decisions, pure: given the latest state of the records an effect touches, which
 * records change and what the caller is told. Run once, by the domain's single writer; replicas
 * only ever receive the outcome as data.
 *
 *   charge:  refund-first | refunded ──► declined ALREADY_REFUNDED (nothing written)
 *            charged (other key)     ──► charged, nothing written (the order is paid once)
 *            no account              ──► declined UNKNOWN_ACCOUNT
 *            balance < amount        ──► declined INSUFFICIENT_FUNDS
 *            otherwise               ──► debit, ledger charge entry, charge-state charged
 *   refund:  charged                 ──► credit the CHARGED amount, ledger refund, refunded
 *            refunded                ──► refunded, nothing written
 *            refund-first            ──► nothing-to-refund, nothing written
 *            no state                ──► charge-state refund-first (tombstone), nothing-to-refund
 */
import type { ChargeCommand, ChargeResult, RefundCommand, RefundResult } from '@seamline/contracts';
import type { Decision } from '@seamline/idempotency';
import type { Account, ChargeState, LedgerEntry } from './payment-records.ts';
import { paymentKey } from './payment-records.ts';

export interface ChargeView {
  readonly account: Account | undefined;
  readonly chargeState: ChargeState | undefined;
}

export interface RefundView {
  readonly account: Account | undefined;
  readonly chargeState: ChargeState | undefined;
  /** The ledger entry of this order's charge effect, when it happened. */
  readonly charge: LedgerEntry | undefined;
}

/** State that cannot arise from the protocol; terminal, a human must look. */
export class PaymentStateError extends Error {
  readonly code = 'PAYMENT_STATE_INVALID';
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'PaymentStateError';
  }
}

export function decideCharge(
  cmd: ChargeCommand,
  effectKey: string,
  view: ChargeView,
): Decision<ChargeResult> {
  const state = view.chargeState?.state;
  if (state === 'refund-first' || state === 'refunded') {
    return { writes: [], result: { outcome: 'declined', reason: 'ALREADY_REFUNDED' } };
  }
  const account = view.account;
  if (account === undefined)
    return { writes: [], result: { outcome: 'declined', reason: 'UNKNOWN_ACCOUNT' } };
  if (state === 'charged')
    return { writes: [], result: { outcome: 'charged', balanceAfterCents: account.balanceCents } };
  if (account.balanceCents < cmd.amountCents) {
    return { writes: [], result: { outcome: 'declined', reason: 'INSUFFICIENT_FUNDS' } };
  }
  const balanceAfterCents = account.balanceCents - cmd.amountCents;
  const entry: LedgerEntry = {
    kind: 'charge',
    orderId: cmd.orderId,
    customerId: cmd.customerId,
    amountCents: cmd.amountCents,
  };
  return {
    writes: [
      {
        key: paymentKey.account(cmd.customerId),
        value: { ...account, balanceCents: balanceAfterCents },
      },
      { key: paymentKey.ledger(effectKey), value: entry },
      {
        key: paymentKey.chargeState(cmd.orderId),
        value: { state: 'charged' } satisfies ChargeState,
      },
    ],
    result: { outcome: 'charged', balanceAfterCents },
  };
}

export function decideRefund(
  cmd: RefundCommand,
  effectKey: string,
  view: RefundView,
): Decision<RefundResult> {
  const state = view.chargeState?.state;
  if (state === 'refunded') return { writes: [], result: { outcome: 'refunded' } };
  if (state === 'refund-first') return { writes: [], result: { outcome: 'nothing-to-refund' } };
  if (state === undefined) {
    return {
      writes: [
        {
          key: paymentKey.chargeState(cmd.orderId),
          value: { state: 'refund-first' } satisfies ChargeState,
        },
      ],
      result: { outcome: 'nothing-to-refund' },
    };
  }
  const charge = view.charge;
  if (charge === undefined || charge.kind !== 'charge' || charge.orderId !== cmd.orderId) {
    throw new PaymentStateError(
      `order ${cmd.orderId} is charged but its charge ledger entry is missing`,
    );
  }
  if (charge.customerId !== cmd.customerId) {
    throw new PaymentStateError(
      `refund for ${cmd.customerId} but order ${cmd.orderId} charged ${charge.customerId}`,
    );
  }
  const account = view.account;
  if (account === undefined)
    throw new PaymentStateError(`charged account ${cmd.customerId} is missing`);
  const entry: LedgerEntry = { ...charge, kind: 'refund' };
  return {
    writes: [
      {
        key: paymentKey.account(cmd.customerId),
        value: { ...account, balanceCents: account.balanceCents + charge.amountCents },
      },
      { key: paymentKey.ledger(effectKey), value: entry },
      {
        key: paymentKey.chargeState(cmd.orderId),
        value: { state: 'refunded' } satisfies ChargeState,
      },
    ],
    result: { outcome: 'refunded' },
  };
}
