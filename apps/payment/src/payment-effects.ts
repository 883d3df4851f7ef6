import { randomBytes } from 'node:crypto';
import type { ChargeCommand, ChargeResult, RefundCommand, RefundResult } from '@seamline/contracts';
import { chargeResult, effectKey, refundResult } from '@seamline/contracts';
import type { StartGate } from '@seamline/effect-service';
import type { EffectOutcome, IdempotentEffects, Snapshot } from '@seamline/idempotency';
import { CorruptRecordError } from '@seamline/idempotency';
import type { z } from 'zod';
import { decideCharge, decideRefund } from './charge-decision.ts';
import {
  accountRecord,
  chargeStateRecord,
  ledgerRecord,
  PAYMENT_DOMAIN,
  paymentKey,
} from './payment-records.ts';

/**
 * The two payment use cases on top of the idempotent effect writer: each names the records its
 * decision reads and writes (so they are locked, loaded in one quorum read, and written in one
 * batch with the idempotency record), parses them at the storage edge and decides purely.
 */
export interface PaymentEffectsOptions {
  /**
   * TEST SWITCH: these operations forget every repeat. Each call is filed under a fresh key
   * (so no stored result is found) and decided as if the order's money had not moved yet, as
   * a receiver without idempotency would. Only to show what the protection prevents.
   * @default none
   */
  readonly unsafeNoDedup?: ReadonlySet<'charge' | 'refund'>;
}

export class PaymentEffects {
  private readonly unsafe: ReadonlySet<string>;

  constructor(
    private readonly effects: IdempotentEffects,
    options: PaymentEffectsOptions = {},
  ) {
    this.unsafe = options.unsafeNoDedup ?? new Set();
  }

  charge(
    idempotencyKey: string,
    cmd: ChargeCommand,
    gate: StartGate = ALWAYS,
  ): Promise<EffectOutcome<ChargeResult>> {
    const unsafe = this.unsafe.has('charge');
    const key = unsafe ? forgetful(idempotencyKey) : idempotencyKey;
    const keys = {
      account: paymentKey.account(cmd.customerId),
      chargeState: paymentKey.chargeState(cmd.orderId),
      ledger: paymentKey.ledger(key),
    };
    return this.effects.run({
      mayStart: gate.mayStart,
      key,
      operation: 'charge',
      payload: cmd,
      keys: Object.values(keys),
      result: chargeResult,
      decide: (snap) =>
        decideCharge(cmd, key, {
          account: parse(snap, keys.account, accountRecord),
          chargeState: unsafe ? undefined : parse(snap, keys.chargeState, chargeStateRecord),
        }),
    });
  }

  /** `sagaId` names the charge this refund undoes (`<sagaId>:charge:charge`). */
  refund(
    idempotencyKey: string,
    sagaId: string,
    cmd: RefundCommand,
    gate: StartGate = ALWAYS,
  ): Promise<EffectOutcome<RefundResult>> {
    const unsafe = this.unsafe.has('refund');
    const key = unsafe ? forgetful(idempotencyKey) : idempotencyKey;
    const keys = {
      account: paymentKey.account(cmd.customerId),
      chargeState: paymentKey.chargeState(cmd.orderId),
      charge: paymentKey.ledger(effectKey(sagaId, 'charge')),
      ledger: paymentKey.ledger(key),
    };
    return this.effects.run({
      mayStart: gate.mayStart,
      key,
      operation: 'refund',
      payload: cmd,
      keys: Object.values(keys),
      result: refundResult,
      decide: (snap) => {
        const chargeState = parse(snap, keys.chargeState, chargeStateRecord);
        return decideRefund(cmd, key, {
          account: parse(snap, keys.account, accountRecord),
          chargeState:
            unsafe && chargeState?.state === 'refunded' ? { state: 'charged' } : chargeState,
          charge: parse(snap, keys.charge, ledgerRecord),
        });
      },
    });
  }
}

/** Callers outside the bus (seed, tests) have no deadline. */
const ALWAYS: StartGate = { mayStart: () => true };

/** The unsafe switch's key: a new one per call, as a receiver that mints its own ids has. */
function forgetful(key: string): string {
  return `${key}~${randomBytes(3).toString('hex')}`;
}

function parse<T>(snapshot: Snapshot, key: string, schema: z.ZodType<T>): T | undefined {
  const value = snapshot.get(key)?.value;
  if (value === undefined) return undefined;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new CorruptRecordError(PAYMENT_DOMAIN, key, parsed.error.message);
  return parsed.data;
}
