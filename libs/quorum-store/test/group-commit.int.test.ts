/**
 * Group commit (ADR 0018) against the real three PostgreSQL instances: concurrent writes of one
 * domain share transactions, yet every write keeps its own batch row, its own fence decision and
 * its own outcome. What a bug would break: a burst applied one transaction per write (no
 * grouping), a write acked without its batch row, a stale token's write carried past the fence
 * by the fresh writes beside it (or failing them), duplicate keys in one group failing the
 * statement or moving a record back, and a paused replica turning grouped writes into outcomes
 * that differ from ungrouped ones.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { QuorumObserver, QuorumStore, RecordWrite } from '../index.ts';
import { FencedError } from '../index.ts';
import { replicaFixture } from './replica-fixture.ts';

const fx = replicaFixture();
afterEach(() => fx.cleanup());
afterAll(() => fx.dropDatabase());

const [A, B, C] = ['pg-1', 'pg-2', 'pg-3'] as const;

function put(key: string, fence: number, seq: number, value: unknown = { key, seq }): RecordWrite {
  return { key, version: { fence, seq }, value };
}

/** Counts group transactions (and the writes in them) per replica. */
function groupCounter() {
  const txns = new Map<string, number>();
  const writes = new Map<string, number>();
  const observer: QuorumObserver = {
    onGroupCommit: ({ replica, writes: n }) => {
      txns.set(replica, (txns.get(replica) ?? 0) + 1);
      writes.set(replica, (writes.get(replica) ?? 0) + n);
    },
  };
  return { observer, txns, writes };
}

type Settled = 'ack' | 'fenced' | 'error';
const outcome = (p: Promise<unknown>): Promise<Settled> =>
  p.then(
    () => 'ack' as const,
    (e: unknown) => (e instanceof FencedError ? ('fenced' as const) : ('error' as const)),
  );

describe('group commit', () => {
  it('applies a burst of concurrent writes in fewer transactions than writes, each with its own batch row', async () => {
    const counter = groupCounter();
    const store = await fx.open({ observer: counter.observer });
    const domain = 'burst';
    await store.installFence(domain, 3);
    const n = 60;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        outcome(store.write(domain, [put(`k${i}`, 3, 1), put(`shared`, 3, i + 1)], { token: 3 })),
      ),
    );
    expect(results).toEqual(Array.from({ length: n }, () => 'ack'));
    // Without grouping every replica runs one transaction per write.
    for (const r of [A, B, C]) {
      expect(counter.writes.get(r) ?? 0).toBeLessThanOrEqual(n);
    }
    const busiest = Math.max(...[A, B, C].map((r) => counter.txns.get(r) ?? 0));
    expect(busiest).toBeLessThan(n);
    // Each write's batch row and each record, on every replica (the slowest caught up: the
    // lanes drain every queued write).
    for (const r of [A, B, C]) {
      await expect.poll(() => fx.batchRowsOn(r, domain)).toBe(n);
      await expect.poll(() => fx.countOn(r, domain)).toBe(n + 1);
      // The key every write touched holds the highest version, whatever the grouping.
      expect((await fx.rowOn(r, domain, 'shared'))?.seq).toBe(n);
    }
  });

  it('fences a stale token written in the same burst while the fresh writes beside it succeed', async () => {
    const counter = groupCounter();
    const store = await fx.open({ observer: counter.observer });
    const domain = 'mixed';
    await store.installFence(domain, 5);
    const burst = Array.from({ length: 30 }, (_, i) =>
      i === 10
        ? outcome(store.write(domain, [put('stale', 4, 1)], { token: 4 }))
        : outcome(store.write(domain, [put(`k${i}`, 5, 1)], { token: 5 })),
    );
    const results = await Promise.all(burst);
    expect(results[10]).toBe('fenced');
    expect(results.filter((r) => r === 'ack')).toHaveLength(29);
    for (const r of [A, B, C]) {
      await expect.poll(() => fx.countOn(r, domain)).toBe(29);
      expect(await fx.rowOn(r, domain, 'stale')).toBeUndefined();
      await expect.poll(() => fx.batchRowsOn(r, domain)).toBe(29);
    }
    expect(Math.max(...[A, B, C].map((r) => counter.txns.get(r) ?? 0))).toBeLessThan(30);
  });

  it('gives a burst across a paused replica the same outcomes with and without grouping', async () => {
    const run = async (groupCommit: boolean, domain: string) => {
      const store: QuorumStore = await fx.open({ groupCommit });
      await store.installFence(domain, 2);
      await store.write(domain, [put('warm', 2, 1)], { token: 2 });
      const first = Array.from({ length: 10 }, (_, i) =>
        outcome(store.write(domain, [put(`a${i}`, 2, 1)], { token: 2 })),
      );
      await fx.pause(B);
      const second = Array.from({ length: 10 }, (_, i) =>
        outcome(store.write(domain, [put(`b${i}`, 2, 1)], { token: 2 })),
      );
      const results = await Promise.all([...first, ...second]);
      await fx.resume(B);
      // Then every write is on A and C, and B converges by anti-entropy.
      for (const r of [A, C]) expect(await fx.countOn(r, domain)).toBe(21);
      await store.antiEntropy();
      expect(await fx.countOn(B, domain)).toBe(21);
      expect(await fx.batchRowsOn(B, domain)).toBe(21);
      return results;
    };
    const grouped = await run(true, 'paused-grouped');
    const single = await run(false, 'paused-single');
    expect(grouped).toEqual(single);
    expect(grouped).toEqual(Array.from({ length: 20 }, () => 'ack'));
  });

  it('keeps a lone write alone: an idle lane sends it at once, in a transaction of its own', async () => {
    const counter = groupCounter();
    const store = await fx.open({ observer: counter.observer });
    for (let i = 1; i <= 5; i++) {
      await store.write('lone', [put('k', 1, i)], { token: 1 });
      // Wait until the slowest replica holds it too, so no write ever queues behind another.
      for (const r of [A, B, C])
        await expect.poll(async () => (await fx.rowOn(r, 'lone', 'k'))?.seq).toBe(i);
    }
    for (const r of [A, B, C]) {
      expect(counter.txns.get(r)).toBe(5);
      expect(counter.writes.get(r)).toBe(5);
    }
  });
});
