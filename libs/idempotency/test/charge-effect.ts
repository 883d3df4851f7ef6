/** A minimal money effect for the writer's tests: debit an account once per key, or decline. */
import { z } from 'zod';
import type { EffectRequest, Snapshot } from '../index.ts';

export const chargeOutcome = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('charged'), balanceAfter: z.number() }),
  z.object({ outcome: z.literal('declined') }),
]);
export type ChargeOutcome = z.infer<typeof chargeOutcome>;

export function balanceOf(snapshot: Snapshot, account: string): number | undefined {
  const v = snapshot.get(`account:${account}`)?.value as { balance: number } | undefined;
  return v?.balance;
}

export function chargeRequest(
  key: string,
  account: string,
  amount: number,
): EffectRequest<ChargeOutcome> {
  return {
    key,
    operation: 'charge',
    payload: { account, amount },
    keys: [`account:${account}`, `ledger:${key}`],
    result: chargeOutcome,
    decide: (snapshot) => {
      const balance = balanceOf(snapshot, account) ?? 0;
      if (balance < amount) return { writes: [], result: { outcome: 'declined' } };
      return {
        writes: [
          { key: `account:${account}`, value: { balance: balance - amount } },
          { key: `ledger:${key}`, value: { amount } },
        ],
        result: { outcome: 'charged', balanceAfter: balance - amount },
      };
    },
  };
}
