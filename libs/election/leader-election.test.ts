// Unit tests of the I/O shell over an in-memory KV with the same compare-and-set rules.
// Hunts: a hung renewal that delays onLost past the lease, a refused renewal or a foreign
// entry that goes unnoticed, a token that changes on renewal, a garbage value that wedges
// the election, and a stop() that leaves the key held.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  decodeLeaseRecord,
  encodeLeaseRecord,
  LeaderElection,
  type LeaderElectionOptions,
} from '@seamline/election';
import { MemoryLeaseKv } from './memory-lease-kv.ts';

const timing = { leaseMs: 1_000, renewEveryMs: 250, safetyMarginMs: 200 };

function node(kv: MemoryLeaseKv, id: string, extra: Partial<LeaderElectionOptions> = {}) {
  const events: string[] = [];
  const link = { stalled: false };
  const election = new LeaderElection({
    kv: kv.client(() => link.stalled),
    name: 'order-leader',
    candidateId: id,
    ...timing,
    clock: () => Date.now(),
    onElected: (token, term) => events.push(`elected:${token}:${term}`),
    onLost: (reason) => events.push(`lost:${reason}`),
    ...extra,
  });
  return { election, events, link };
}

const valueOf = (kv: MemoryLeaseKv) => {
  const e = kv.entries.get('order-leader');
  return e === undefined || e.operation !== 'PUT' ? null : decodeLeaseRecord(e.value);
};

describe('LeaderElection (in-memory KV)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('acquires a vacant key and renews with a constant token', async () => {
    const kv = new MemoryLeaseKv();
    const changes: number[] = [];
    const a = node(kv, 'a', { observer: { onLeaderChange: (_, c) => changes.push(c.token) } });
    await a.election.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(a.events).toEqual(['elected:1:1']);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(kv.revision).toBeGreaterThanOrEqual(4);
    expect(valueOf(kv)).toMatchObject({ holder: 'a', term: 1, token: 1 });
    expect(a.election.currentToken()).toBe(1);
    expect(changes).toEqual([1]);
    await a.election.stop();
  });

  it('fires onLost when the lease runs out even while a renewal hangs', async () => {
    const kv = new MemoryLeaseKv();
    const a = node(kv, 'a');
    await a.election.start();
    await vi.advanceTimersByTimeAsync(0);
    a.link.stalled = true;
    // Last successful send was at t=0: belief ends at leaseMs - safetyMarginMs = 800.
    await vi.advanceTimersByTimeAsync(799);
    expect(a.election.isLeader()).toBe(true);
    expect(a.events).toEqual(['elected:1:1']);
    await vi.advanceTimersByTimeAsync(1);
    expect(a.election.isLeader()).toBe(false);
    expect(a.events).toEqual(['elected:1:1', 'lost:expired']);
  });

  it('steps down at once when another writer takes the key', async () => {
    const kv = new MemoryLeaseKv();
    const a = node(kv, 'a');
    await a.election.start();
    await vi.advanceTimersByTimeAsync(0);
    kv.put('order-leader', encodeLeaseRecord({ holder: 'intruder', term: 9, leaseMs: 1_000 }));
    await vi.advanceTimersByTimeAsync(0);
    expect(a.events).toEqual(['elected:1:1', 'lost:superseded']);
    expect(a.election.currentToken()).toBeNull();
    await a.election.stop();
  });

  it('a follower takes over an abandoned key after leaseMs, with a higher token', async () => {
    const kv = new MemoryLeaseKv();
    const a = node(kv, 'a');
    const b = node(kv, 'b');
    await a.election.start();
    await vi.advanceTimersByTimeAsync(0);
    await b.election.start();
    a.link.stalled = true; // a stops renewing: its writes hang
    await vi.advanceTimersByTimeAsync(2_000);
    expect(b.events).toHaveLength(1);
    const token = Number(b.events[0]?.split(':')[1]);
    expect(token).toBeGreaterThan(1);
    expect(valueOf(kv)?.holder).toBe('b');
    expect(a.election.isLeader()).toBe(false);
    await b.election.stop();
    const stopping = a.election.stop(); // its renewal still hangs: stop must not
    await vi.advanceTimersByTimeAsync(timing.leaseMs);
    await stopping;
  });

  it('waits out a key holding garbage instead of wedging, and reports it', async () => {
    const kv = new MemoryLeaseKv();
    kv.put('order-leader', new TextEncoder().encode('not json'));
    const errors: unknown[] = [];
    const a = node(kv, 'a', { onError: (e) => errors.push(e) });
    await a.election.start();
    await vi.advanceTimersByTimeAsync(999);
    expect(a.election.isLeader()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(a.election.isLeader()).toBe(true);
    expect(errors.length).toBeGreaterThan(0);
    await a.election.stop();
  });

  it('stop() deletes the key by revision so a successor can take it at once', async () => {
    const kv = new MemoryLeaseKv();
    const a = node(kv, 'a');
    const b = node(kv, 'b');
    await a.election.start();
    await vi.advanceTimersByTimeAsync(0);
    await b.election.start();
    await a.election.stop();
    await vi.advanceTimersByTimeAsync(0);
    expect(a.events).toEqual(['elected:1:1', 'lost:stopped']);
    expect(b.election.isLeader()).toBe(true);
    await b.election.stop();
  });

  it('hole 5: elects a leader again after the KV lost its last writes and hands revisions out again', async () => {
    const kv = new MemoryLeaseKv();
    const seenByA: string[] = [];
    const a = node(kv, 'a', { observer: { onLeaderChange: (_, c) => seenByA.push(c.holder) } });
    const b = node(kv, 'b');
    await a.election.start();
    await vi.advanceTimersByTimeAsync(0);
    const lost = kv.revision; // a's acquiring write: the last one the crash keeps
    await b.election.start();
    await a.election.stop(); // b takes over at once, with a higher token, and renews
    await a.election.start();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(b.election.currentToken()).toBeGreaterThan(lost + 1);
    expect(seenByA.at(-1)).toBe('b');

    kv.loseWritesAfter(lost);
    b.link.stalled = true; // b cannot write any more: only a can lead again
    await vi.advanceTimersByTimeAsync(5 * timing.leaseMs);
    expect(a.election.isLeader()).toBe(true);
    // The revision was handed out again, so the token may repeat: the store's fence claim, not
    // the election, keeps fencing tokens from going back (ADR 0010).
    expect(a.election.currentToken()).toBe(lost + 1);
    // Every process learns who leads now (followers forward orders to it), although its token
    // is lower than the one reported before.
    expect(seenByA.at(-1)).toBe('a');
    await a.election.stop();
    const stopping = b.election.stop();
    await vi.advanceTimersByTimeAsync(timing.leaseMs);
    await stopping;
  });

  it('rejects options it cannot work with, naming the field', () => {
    const kv = new MemoryLeaseKv();
    expect(() => new LeaderElection({ name: 'x', candidateId: 'a' })).toThrow(/kv/);
    expect(() => new LeaderElection({ kv, name: 'a b', candidateId: 'a' })).toThrow(/name/);
    expect(() => new LeaderElection({ kv, name: 'x', candidateId: '' })).toThrow(/candidateId/);
    expect(
      () => new LeaderElection({ kv, name: 'x', candidateId: 'a', ...timing, renewEveryMs: 900 }),
    ).toThrow(/renewEveryMs/);
  });
});
