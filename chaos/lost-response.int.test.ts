/**
 * Hunts the lost-response bug (design brief, invariant 1 and failure scenario 2): a refund whose
 * reply is lost after it committed is re-driven by the orchestrator, and the receiver applies it
 * a second time. Real processes under the supervisor; the reply is really dropped by payment's
 * bus server (a chaos rule), after the handler's effect committed.
 *
 * The second test runs the very same scenario with payment's duplicate protection switched off
 * (SEAMLINE_UNSAFE_NO_DEDUP=refund) and asserts that the checks of the first test catch the
 * double refund, so the first test can fail. Seed: SEAMLINE_CHAOS_SEED=<n> replays the run.
 */
import { describe, expect, inject, it } from 'vitest';
import { stackOptionsFromEnv } from '../infra/stack/env-options.ts';
import { lostResponse } from './scenarios/lost-response.ts';
import { entriesOf } from './support/payment-books.ts';
import { parseSeed } from './support/seeded-random.ts';

const seed = parseSeed(process.env.SEAMLINE_CHAOS_SEED);
const log = (line: string) => process.stderr.write(`[lost-response seed ${seed}] ${line}\n`);
log(`seed ${seed} (replay with SEAMLINE_CHAOS_SEED=${seed})`);

const common = () => ({ stack: inject('stack'), stackOptions: stackOptionsFromEnv(), seed, log });

describe('the lost-response scenario', () => {
  it('answers the re-driven refund from its record: two physical calls, one refund on every replica', async () => {
    const r = await lostResponse(common());
    const refundKey = `ledger:${r.orderId}:charge:refund`;

    expect(r.order).toMatchObject({ status: 'CANCELLED', reason: 'DEADLINE_EXCEEDED' });
    // The orchestrator sent the refund, heard nothing, and sent it again.
    expect(r.refundEvents.slice(0, 2)).toEqual(['refund:sent', 'refund:resent']);
    // Payment's handler ran (at least) twice; the first reply was dropped after its effect
    // committed, and every later call was answered from the idempotency record.
    expect(r.refundCalls.applied).toBe(1);
    expect(r.refundCalls.commits).toBeGreaterThanOrEqual(2);
    expect(r.refundCalls.deliveries).toBeGreaterThanOrEqual(r.refundCalls.commits);
    expect(r.refundDedupHits).toBe(r.refundCalls.commits - 1);
    // The charge really happened (its replies were lost), so there was money to refund.
    expect(r.chargeCalls.commits).toBeGreaterThanOrEqual(1);
    for (const books of r.after) {
      expect(books.reachable).toBe(true);
      expect(entriesOf(books, 'charge')).toEqual([`ledger:${r.orderId}:charge:charge`]);
      expect(entriesOf(books, 'refund')).toEqual([refundKey]);
      expect(books.balanceCents).toBe(
        r.before.find((b) => b.replica === books.replica)?.balanceCents,
      );
    }
    expect(r.audit.violations).toEqual([]);
    expect(r.failures).toEqual([]);
  }, 300_000);

  it('without duplicate protection the same lost reply refunds twice, and the checks say so', async () => {
    const r = await lostResponse({ ...common(), dedup: false });

    expect(r.refundCalls.applied).toBe(1);
    expect(r.refundDedupHits).toBe(0);
    // One refund per call: the balance gains the order's total once per extra call.
    const calls = r.refundCalls.commits;
    expect(calls).toBeGreaterThanOrEqual(2);
    for (const books of r.after) {
      expect(entriesOf(books, 'refund')).toHaveLength(calls);
      const before = r.before.find((b) => b.replica === books.replica)?.balanceCents ?? 0;
      expect(books.balanceCents).toBe(before + (calls - 1) * r.order.totalCents);
    }
    expect(r.audit.violations).toContainEqual(
      expect.objectContaining({ rule: 'double-effect', key: `order:${r.orderId}` }),
    );
    expect(r.failures.some((f) => / refund entries /.test(f))).toBe(true);
  }, 300_000);
});
