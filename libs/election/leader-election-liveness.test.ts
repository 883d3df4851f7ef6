// Liveness of a fresh candidate (issue 9, hole 9: a restarted payment process that never took
// its writer lease once the NATS cluster had healed). Hunts: a candidate whose watch is served
// by a replica that reports a revision the stream leader does not hold (nats-server 2.9.10 did,
// after a node was SIGKILLed: ADR 0005), so that every compare-and-set it tries is refused and
// the leader's own answer is ignored as "older", for ever; and a candidate that fails that way
// in silence.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  encodeLeaseRecord,
  LeaderElection,
  type LeaseKv,
  type LeaseKvEntry,
  type LeaseKvWatch,
} from '@seamline/election';
import { MemoryLeaseKv } from './memory-lease-kv.ts';

const timing = { leaseMs: 1_000, renewEveryMs: 250, safetyMarginMs: 200 };
const KEY = 'payment-writer';

/**
 * The bucket as a client sees it when its watch consumer sits on a replica that diverged from
 * the stream leader: reads and compare-and-sets go to the leader (`kv`), the watch first
 * replays the replica's copy of the key, at `phantom`, then follows the leader's changes.
 */
function divergedReplicaView(kv: MemoryLeaseKv, phantom: LeaseKvEntry): LeaseKv {
  return {
    get: (k) => kv.get(k),
    create: (k, d) => kv.create(k, d),
    update: (k, d, v) => kv.update(k, d, v),
    delete: (k, o) => kv.delete(k, o),
    watch: async (o) => {
      const inner = await kv.watch(o);
      let replayed = false;
      const view: LeaseKvWatch = {
        stop: () => inner.stop(),
        async *[Symbol.asyncIterator](): AsyncIterator<LeaseKvEntry> {
          for await (const entry of inner) {
            // The replica's copy replaces the initial entry; later changes pass through.
            if (!replayed) {
              replayed = true;
              yield phantom;
            } else yield entry;
          }
        },
      };
      return view;
    },
  };
}

describe('hole 9: a fresh candidate takes an abandoned lease whatever replica serves its watch', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('takes over when its watch reports a revision the stream leader does not hold', async () => {
    const kv = new MemoryLeaseKv();
    // The predecessor (killed) held the key; the leader's last revision of it is 3.
    kv.put('other', encodeLeaseRecord({ holder: 'x', term: 1, leaseMs: 1_000 }));
    kv.put('other', encodeLeaseRecord({ holder: 'x', term: 1, leaseMs: 1_000 }));
    const held = kv.put(KEY, encodeLeaseRecord({ holder: 'payment-1', term: 4, leaseMs: 1_000 }));
    const phantom: LeaseKvEntry = {
      revision: held + 5,
      operation: 'PUT',
      value: encodeLeaseRecord({ holder: 'payment-1', term: 4, token: held, leaseMs: 1_000 }),
    };
    const elected: number[] = [];
    const errors: unknown[] = [];
    const election = new LeaderElection({
      kv: divergedReplicaView(kv, phantom),
      name: KEY,
      candidateId: 'payment-2',
      ...timing,
      clock: () => Date.now(),
      onElected: (token) => elected.push(token),
      onError: (err) => errors.push(err),
    });
    await election.start();
    // A lease to wait out, a refused compare-and-set, a re-read from the leader, a second
    // wait: well within five leases.
    await vi.advanceTimersByTimeAsync(5 * timing.leaseMs);
    expect(elected).toHaveLength(1);
    expect(elected[0]).toBeGreaterThan(held);
    expect(election.isLeader()).toBe(true);
    // The divergence was reported, not swallowed.
    expect(errors).toContainEqual(
      expect.objectContaining({
        code: 'ELECTION_VIEW_DIVERGED',
        believedRevision: phantom.revision,
        leaderRevision: held,
      }),
    );
    await election.stop();
  });

  it('settles as leader once elected, and as standby once the leader confirms a live holder', async () => {
    const kv = new MemoryLeaseKv();
    const holder = new LeaderElection({
      kv,
      name: KEY,
      candidateId: 'payment-1',
      ...timing,
      clock: () => Date.now(),
    });
    await holder.start();
    await vi.advanceTimersByTimeAsync(0);
    await expect(holder.settled()).resolves.toBe('leader');
    const standby = new LeaderElection({
      kv,
      name: KEY,
      candidateId: 'payment-2',
      ...timing,
      clock: () => Date.now(),
    });
    await standby.start();
    let standing: string | undefined;
    void standby.settled().then((s) => (standing = s));
    await vi.advanceTimersByTimeAsync(2 * timing.renewEveryMs);
    expect(standing).toBe('standby');
    expect(standby.describe()).toMatch(/^payment-writer held by payment-1 at revision \d+/);
    await standby.stop();
    await holder.stop();
  });

  it('does not settle as standby on an entry only a diverged replica reports', async () => {
    const kv = new MemoryLeaseKv();
    const held = kv.put(KEY, encodeLeaseRecord({ holder: 'payment-1', term: 1, leaseMs: 1_000 }));
    // Every write of this candidate hangs: it can never be elected.
    const stalled = kv.client(() => true);
    const view = divergedReplicaView(kv, {
      revision: held + 3,
      operation: 'PUT',
      value: encodeLeaseRecord({ holder: 'payment-1', term: 1, token: held, leaseMs: 1_000 }),
    });
    const candidate = new LeaderElection({
      kv: { ...view, create: stalled.create, update: stalled.update },
      name: KEY,
      candidateId: 'payment-2',
      ...timing,
      clock: () => Date.now(),
    });
    await candidate.start();
    let standing: string | undefined;
    void candidate.settled().then((s) => (standing = s));
    await vi.advanceTimersByTimeAsync(5 * timing.leaseMs);
    expect(standing).toBeUndefined();
    expect(candidate.describe()).toMatch(/a campaign write in flight/);
    const stopping = candidate.stop();
    await vi.advanceTimersByTimeAsync(timing.leaseMs);
    await stopping;
  });

  it('still never takes a lease whose holder keeps renewing, whatever its watch said', async () => {
    const kv = new MemoryLeaseKv();
    const holder = new LeaderElection({
      kv,
      name: KEY,
      candidateId: 'payment-1',
      ...timing,
      clock: () => Date.now(),
    });
    await holder.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(holder.isLeader()).toBe(true);
    const phantom: LeaseKvEntry = {
      revision: kv.revision + 50,
      operation: 'PUT',
      value: encodeLeaseRecord({ holder: 'payment-1', term: 1, token: 1, leaseMs: 1_000 }),
    };
    const elected: number[] = [];
    const candidate = new LeaderElection({
      kv: divergedReplicaView(kv, phantom),
      name: KEY,
      candidateId: 'payment-2',
      ...timing,
      clock: () => Date.now(),
      onElected: (token) => elected.push(token),
    });
    await candidate.start();
    await vi.advanceTimersByTimeAsync(10 * timing.leaseMs);
    expect(elected).toEqual([]);
    expect(holder.isLeader()).toBe(true);
    await candidate.stop();
    await holder.stop();
  });

  it('keeps the lease when its own watch reports a successor the stream leader never held', async () => {
    const kv = new MemoryLeaseKv();
    let inject: ((e: LeaseKvEntry) => void) | undefined;
    const view: LeaseKv = {
      ...kv.client(() => false),
      get: (k) => kv.get(k),
      watch: async (o) => {
        const inner = await kv.watch(o);
        const extra: LeaseKvEntry[] = [];
        let wake: (() => void) | undefined;
        inject = (e) => {
          extra.push(e);
          wake?.();
        };
        const it = inner[Symbol.asyncIterator]();
        return {
          stop: () => inner.stop(),
          async *[Symbol.asyncIterator](): AsyncIterator<LeaseKvEntry> {
            let next = it.next();
            for (;;) {
              const phantom = extra.shift();
              if (phantom !== undefined) {
                yield phantom;
                continue;
              }
              const woken = new Promise<'woken'>((r) => (wake = () => r('woken')));
              const got = await Promise.race([next, woken]);
              if (got === 'woken') continue;
              if (got.done === true) return;
              yield got.value;
              next = it.next();
            }
          },
        };
      },
    };
    const lost: string[] = [];
    const errors: unknown[] = [];
    const holder = new LeaderElection({
      kv: view,
      name: KEY,
      candidateId: 'payment-1',
      ...timing,
      clock: () => Date.now(),
      onLost: (reason) => lost.push(reason),
      onError: (err) => errors.push(err),
    });
    await holder.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(holder.isLeader()).toBe(true);
    // A replica that diverged replays a write of another holder, far ahead of the leader.
    inject!({
      revision: kv.revision + 40,
      operation: 'PUT',
      value: encodeLeaseRecord({ holder: 'payment-9', term: 99, leaseMs: 1_000 }),
    });
    await vi.advanceTimersByTimeAsync(5 * timing.leaseMs);
    expect(lost).toEqual([]);
    expect(holder.isLeader()).toBe(true);
    expect(errors).toContainEqual(expect.objectContaining({ code: 'ELECTION_VIEW_DIVERGED' }));
    // A successor's write the leader does hold still ends the lease at once.
    kv.put(KEY, encodeLeaseRecord({ holder: 'payment-9', term: 99, leaseMs: 1_000 }));
    await vi.advanceTimersByTimeAsync(0);
    expect(lost).toEqual(['superseded']);
    expect(holder.isLeader()).toBe(false);
    await holder.stop();
  });
});
