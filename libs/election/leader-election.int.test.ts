// Against the project's real NATS (JetStream KV, R3 in cluster mode). Hunts: two leaders at
// once, a paused leader that keeps believing after a successor took over, a successor
// whose token is not higher, a stale leader that never learns it lost, tokens that go
// backwards across failovers, and a graceful handover that waits for a lease to expire.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  LeaderElection,
  openElectionBucket,
  type ElectionTimers,
  type LeaseKv,
  type LeaseKvEntry,
  type LeaseKvWatch,
  type LossReason,
} from '@seamline/election';

const stack = inject('stack');
const replicas = stack.nats.length >= 3 ? 3 : 1;
const timing = { leaseMs: 1_000, renewEveryMs: 250, safetyMarginMs: 200 };

/** Waits for a condition, polling; fails with `what` after `timeoutMs`. */
async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Freezes one node like SIGSTOP would: its timers, its KV calls and its watch deliveries all
 * stall until thawed, while its clock keeps running.
 */
class Freezer {
  private frozen = false;
  private waiters: (() => void)[] = [];

  freeze(): void {
    this.frozen = true;
  }
  thaw(): void {
    this.frozen = false;
    for (const w of this.waiters.splice(0)) w();
  }
  gate(): Promise<void> {
    return this.frozen ? new Promise((r) => this.waiters.push(r)) : Promise.resolve();
  }

  timers(): ElectionTimers {
    return {
      setTimeout: (fn, ms) => setTimeout(() => void this.gate().then(fn), ms),
      clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    };
  }

  kv(inner: LeaseKv): LeaseKv {
    const through = async <T>(call: () => Promise<T>): Promise<T> => {
      await this.gate();
      const result = await call();
      await this.gate();
      return result;
    };
    return {
      get: (k) => through(() => inner.get(k)),
      create: (k, d) => through(() => inner.create(k, d)),
      update: (k, d, v) => through(() => inner.update(k, d, v)),
      delete: (k, o) => through(() => inner.delete(k, o)),
      watch: async (o) => {
        const w = await through(() => inner.watch(o));
        const gate = () => this.gate();
        const gated: LeaseKvWatch = {
          stop: () => w.stop(),
          async *[Symbol.asyncIterator](): AsyncIterator<LeaseKvEntry> {
            for await (const e of w) {
              await gate();
              yield e;
            }
          },
        };
        return gated;
      },
    };
  }
}

interface Node {
  id: string;
  election: LeaderElection;
  freezer: Freezer;
  elected: number[];
  lost: LossReason[];
}

describe('LeaderElection on NATS KV', () => {
  const connections: NatsConnection[] = [];
  const nodes: Node[] = [];
  let kv: LeaseKv;

  beforeAll(async () => {
    const admin = await connect({ servers: stack.nats, timeout: 5_000 });
    connections.push(admin);
    kv = await openElectionBucket(admin, { replicas });
  });

  afterAll(async () => {
    await Promise.all(nodes.map((n) => (n.freezer.thaw(), n.election.stop())));
    await Promise.all(connections.map((c) => c.close()));
  });

  /** A candidate on its own connection (like its own process), to its own server. */
  async function candidate(name: string, id: string): Promise<Node> {
    const nc = await connect({
      servers: stack.nats[nodes.length % stack.nats.length],
      timeout: 5_000,
    });
    connections.push(nc);
    const freezer = new Freezer();
    const node: Node = { id, freezer, elected: [], lost: [], election: undefined as never };
    node.election = new LeaderElection({
      kv: freezer.kv(await openElectionBucket(nc, { replicas })),
      name,
      candidateId: id,
      ...timing,
      timers: freezer.timers(),
      onElected: (token) => node.elected.push(token),
      onLost: (reason) => node.lost.push(reason as LossReason),
    });
    nodes.push(node);
    await node.election.start();
    return node;
  }

  const key = (label: string) => `test-${label}-${process.pid}-${Date.now()}`;
  const leaderOf = (group: Node[]) => group.filter((n) => n.election.isLeader());

  it('elects exactly one of two candidates and keeps it through renewals', async () => {
    const name = key('one');
    const group = [await candidate(name, 'a'), await candidate(name, 'b')];
    const [leader] = await waitFor('a leader', () =>
      leaderOf(group).length > 0 ? leaderOf(group) : false,
    );
    const firstRevision = (await kv.get(name))?.revision ?? 0;
    let overlaps = 0;
    // Sample beliefs while the leader renews a few times.
    await waitFor('three renewals', async () => {
      if (leaderOf(group).length > 1) overlaps += 1;
      return ((await kv.get(name))?.revision ?? 0) >= firstRevision + 3;
    });
    expect(overlaps).toBe(0);
    expect(leaderOf(group)).toEqual([leader]);
    expect(leader?.election.currentToken()).toBe(leader?.elected[0]);
    const entry = await kv.get(name);
    expect(JSON.parse(new TextDecoder().decode(entry?.value))).toMatchObject({
      holder: leader?.id,
      token: leader?.elected[0],
    });
  });

  it('a paused leader is replaced with a higher token and learns it lost when it resumes', async () => {
    const name = key('pause');
    const group = [await candidate(name, 'a'), await candidate(name, 'b')];
    const [old] = await waitFor('a leader', () =>
      leaderOf(group).length > 0 ? leaderOf(group) : false,
    );
    if (old === undefined) throw new Error('unreachable');
    const successor = group.find((n) => n !== old) as Node;
    const oldToken = old.elected[0] as number;

    old.freezer.freeze();
    let oldBelievedAtTakeover: boolean | null = null;
    await waitFor('the successor to win', () => {
      if (successor.elected.length === 0) return false;
      oldBelievedAtTakeover ??= old.election.isLeader();
      return true;
    });
    expect(successor.elected[0]).toBeGreaterThan(oldToken);
    // The paused leader's own clock already ended its belief: it would not write now.
    expect(oldBelievedAtTakeover).toBe(false);
    expect(old.lost).toEqual([]); // frozen: it has not run yet

    old.freezer.thaw();
    const reason = await waitFor('the old leader to learn it lost', () => old.lost[0], 2_000);
    expect(['expired', 'superseded']).toContain(reason);
    expect(old.election.isLeader()).toBe(false);
    expect(old.election.currentToken()).toBeNull();
    // Its comeback never displaced the successor.
    expect(successor.election.isLeader()).toBe(true);
    expect(successor.lost).toEqual([]);
  });

  it('tokens strictly increase across five successive failovers', async () => {
    const name = key('five');
    const group = [
      await candidate(name, 'a'),
      await candidate(name, 'b'),
      await candidate(name, 'c'),
    ];
    const tokens: number[] = [];
    let frozen: Node | null = null;
    for (let round = 0; round < 6; round++) {
      const [leader] = await waitFor(`leader of round ${round}`, () => {
        const leaders = leaderOf(group);
        const fresh = leaders.filter((n) => n.election.currentToken() !== tokens.at(-1));
        return fresh.length === 1 ? fresh : false;
      });
      if (leader === undefined) throw new Error('unreachable');
      tokens.push(leader.election.currentToken() as number);
      frozen?.freezer.thaw();
      leader.freezer.freeze();
      frozen = leader;
    }
    frozen?.freezer.thaw();
    for (let i = 1; i < tokens.length; i++)
      expect(tokens[i]).toBeGreaterThan(tokens[i - 1] as number);
  });

  it('a graceful stop hands over well under a second, through the watch', async () => {
    const name = key('handover');
    const group = [await candidate(name, 'a'), await candidate(name, 'b')];
    const [leader] = await waitFor('a leader', () =>
      leaderOf(group).length > 0 ? leaderOf(group) : false,
    );
    const successor = group.find((n) => n !== leader) as Node;
    const stoppedAt = performance.now();
    await leader?.election.stop();
    await waitFor('the successor', () => successor.election.isLeader(), 5_000);
    expect(performance.now() - stoppedAt).toBeLessThan(1_000);
    expect(leader?.lost).toEqual(['stopped']);
  });
});
