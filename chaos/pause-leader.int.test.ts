/**
 * Hunts the paused-leader bug (design brief, invariant 3 and failure scenario 1): a leader that
 * freezes between deciding a write and sending it, wakes up after its successor took over, and
 * still lands its write, overwriting or inventing state behind the successor's back. Real
 * processes under the supervisor; the leader is really SIGSTOPped past its lease.
 *
 * The second test runs the very same scenario with the replicas' fencing check switched off and
 * asserts that the checks of the first test catch the damage (a write under the old token lands
 * after the fence, no rejection is logged or counted), so the first test can fail.
 * Seed: SEAMLINE_CHAOS_SEED=<n> replays the same orders.
 */
import { describe, expect, inject, it } from 'vitest';
import { stackOptionsFromEnv } from '../infra/stack/env-options.ts';
import { pauseLeader } from './scenarios/pause-leader.ts';
import { parseSeed } from './support/seeded-random.ts';

const seed = parseSeed(process.env.SEAMLINE_CHAOS_SEED);
const log = (line: string) => process.stderr.write(`[pause-leader seed ${seed}] ${line}\n`);
log(`seed ${seed} (replay with SEAMLINE_CHAOS_SEED=${seed})`);

const common = () => ({ stack: inject('stack'), stackOptions: stackOptionsFromEnv(), seed, log });

describe('the paused-leader scenario', () => {
  it('rejects the resumed leader’s stale write at the fence, keeps the successor’s state, and finishes every order', async () => {
    const r = await pauseLeader(common());

    expect(r.pausedMs).toBeGreaterThan(r.leaseMs);
    expect(r.newLeader.token).toBeGreaterThan(r.oldLeader.token);
    expect(r.stalledWrite).toMatchObject({ write: 'create', token: r.oldLeader.token });

    // The write the old leader was frozen in front of was refused, in one structured line.
    const lines = r.rejections.map((raw) => JSON.parse(raw) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.map((l) => l.sagaId)).toContain(r.stalledWrite.sagaId);
    for (const line of lines) {
      expect(line).toMatchObject({
        level: 'error',
        replica: r.oldLeader.name,
        staleToken: r.oldLeader.token,
        domain: 'order',
      });
      expect(line.installedToken as number).toBeGreaterThanOrEqual(r.newLeader.token);
      expect(line.rejectedBy).toMatch(/^pg-\d$/);
    }
    expect(r.rejectionsCounted).toBe(lines.length);
    // Its client was refused (503) and its retry accepted by the new leader.
    expect(r.stalledOrder).toMatchObject({ fate: 'accepted' });
    expect(r.stalledOrder!.attempts).toBeGreaterThanOrEqual(2);

    expect(r.staleWrites).toEqual([]);
    expect(r.overwritten).toEqual([]);
    expect(r.settlement.unfinished).toEqual([]);
    expect(r.load.accepted).toBeGreaterThan(0);
    expect(r.audit.violations).toEqual([]);
    expect(r.failures).toEqual([]);
  }, 300_000);

  it('without the fencing check the stale leader collects W acks after the fence and answers 202 for it', async () => {
    const r = await pauseLeader({ ...common(), fencing: false, settleTimeoutMs: 30_000 });
    const orderId = String(r.stalledWrite.sagaId);

    expect(r.rejections).toEqual([]);
    expect(r.rejectionsCounted).toBe(0);
    // The checks that pass with fencing on catch it: the old token's create landed after the
    // new leader fenced every replica (invariant 3), and its client was told 202 by a leader
    // that no longer led. (Only the successor's orphan sweep later finishes that order; before
    // the sweep existed it stayed PENDING forever.)
    expect(r.staleWrites.map((b) => b.key)).toContain(`order:${orderId}`);
    expect(r.staleWrites.every((b) => b.after.startsWith(`(${r.oldLeader.token},`))).toBe(true);
    expect(r.stalledOrder).toEqual({ fate: 'accepted', attempts: 1 });
    expect(r.failures.length).toBeGreaterThan(0);
  }, 300_000);
});
