/**
 * Hunts the ways a stale writer gets past the fence, against the real three PostgreSQL
 * instances:
 * - hole 2: a write of the old leader that straddles the fence (one ack before the new fence,
 *   one from a replica the fence has not reached yet) collects W acks although the successor's
 *   reload, answered by the fastest R replicas, never saw it;
 * - hole 5: a fencing token that repeats (the NATS election stream lost its tail) lets two
 *   holders write under the same token, and a token below an installed fence stalls every
 *   takeover.
 * Slowness is made with PostgreSQL locks held by the test (a row lock on a replica's fence row
 * holds back the writes and fence installations that need it; a table lock holds back reads),
 * so every interleaving below is forced, not hoped for.
 */
import type pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { QuorumStore, RecordWrite } from '../index.ts';
import { FencedError } from '../index.ts';
import { replicaFixture } from './replica-fixture.ts';

const fx = replicaFixture();
const held: pg.Client[] = [];
afterEach(async () => {
  for (const c of held.splice(0)) await c.end().catch(() => {});
  await fx.cleanup();
});
afterAll(() => fx.dropDatabase());

const [A, B, C] = ['pg-1', 'pg-2', 'pg-3'] as const;

/** A store whose replicas are slow only when a test makes them (the machine is loaded). */
const open = (options: Parameters<typeof fx.open>[0] = {}) =>
  fx.open({ replicaTimeoutMs: 2_000, ...options });

function saga(fence: number, seq: number, step: string): RecordWrite {
  return { key: 'saga', version: { fence, seq }, tag: 'PENDING', value: { step } };
}

/** Opens a transaction on `replica` that holds `lockSql` until `release` is called. */
async function hold(replica: string, lockSql: string, params: unknown[] = []) {
  const client = await fx.connect(replica);
  held.push(client);
  await client.query('begin');
  await client.query(lockSql, params);
  return { release: () => client.query('rollback') };
}

/** The same replicas, except that `cut` refuses every connection (a partition). */
function partitionedFrom(cut: string) {
  return fx.replicas.map((r) => {
    if (r.name !== cut) return r;
    const url = new URL(r.url);
    url.port = '1';
    return { name: r.name, url: url.toString() };
  });
}

function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

async function steps(store: QuorumStore, domain: string, fence: number): Promise<unknown[]> {
  const page = await store.scan(domain, { tag: 'PENDING', fence });
  return page.records.map((r) => r.value);
}

describe('hole 2: a stale write straddling the fence', () => {
  it('is seen by the successor reload whenever it can still collect W acks', async () => {
    const domain = 'straddle';
    // The old leader (token 4) is cut off from B; it waits long for C, as a loaded replica is
    // slow but alive.
    const oldLeader = await open({ replicas: partitionedFrom(B), replicaTimeoutMs: 60_000 });
    const newLeader = await open();
    await oldLeader.installFence(domain, 4);
    await oldLeader.write(domain, [saga(4, 1, 'reserving')], { token: 4 });

    // C is slow for writes and fences: its fence row is locked.
    const cFence = await hold(C, 'select * from seamline_fences where domain = $1 for update', [
      domain,
    ]);
    const stale = settle(oldLeader.write(domain, [saga(4, 2, 'charging')], { token: 4 }));
    await expect.poll(async () => (await fx.rowOn(A, domain, 'saga'))?.seq).toBe(2);

    // The successor fences A and B (N - W + 1 = 2), then reloads while A is slow to answer.
    expect((await newLeader.installFence(domain, 5)).acks).toBe(2);
    const aReads = await hold(A, 'lock table seamline_records in access exclusive mode');
    const reload = await settle(steps(newLeader, domain, 5));

    // The old leader's write now reaches C (queued before any fence there): A + C = W acks.
    await cFence.release();
    await aReads.release();
    const outcome = await stale;
    expect(outcome.ok, String(!outcome.ok && outcome.error)).toBe(true);

    // So the successor must have seen it, or not have finished its reload.
    if (reload.ok) expect(reload.value).toContainEqual({ step: 'charging' });
    expect(await steps(newLeader, domain, 5)).toEqual([{ step: 'charging' }]);
  });
});

describe('hole 5: a fencing token handed out twice', () => {
  it('lets only the holder that installed it write: the other holder of the same token cannot collect W acks', async () => {
    const domain = 'same-token';
    const first = await open();
    const second = await open();
    await first.installFence(domain, 7);
    await first.write(domain, [saga(7, 1, 'first')], { token: 7 });
    // Both returned at W = 2 acks; the third replica's copy is still on its way, and the second
    // holder's fence must meet the first's there too, not overtake it.
    for (const r of [A, B, C])
      await expect
        .poll(async () => (await fx.rowOn(r, domain, 'saga'))?.value)
        .toEqual({
          step: 'first',
        });

    const fence = await second.installFence(domain, 7).catch((e: unknown) => e);
    expect(fence).toBeInstanceOf(FencedError);
    expect((fence as FencedError).installedToken).toBe(7);
    const write = await second
      .write(domain, [saga(7, 2, 'second')], { token: 7 })
      .catch((e: unknown) => e);
    expect(write).toBeInstanceOf(FencedError);
    for (const r of [A, B, C])
      expect((await fx.rowOn(r, domain, 'saga'))?.value).toEqual({ step: 'first' });

    // Re-installing one's own fence is an ack (a takeover retried), and the holder writes on.
    expect((await first.installFence(domain, 7)).acks).toBeGreaterThanOrEqual(2);
    await first.write(domain, [saga(7, 3, 'first again')], { token: 7 });
    expect((await first.read(domain, 'saga'))?.value).toEqual({ step: 'first again' });
  });

  it('claims a token above every installed fence when the election hands out an old one, and the proposed one otherwise', async () => {
    const domain = 'claim';
    const before = await open();
    await before.installFence(domain, 50);
    // The election stream lost its tail: the next leader is handed 20, then 50 again.
    const next = await open();
    const claimed = await next.claimFence(domain, 20);
    expect(claimed.token).toBe(51);
    expect(claimed.acks).toBeGreaterThanOrEqual(2);
    await next.write(domain, [saga(51, 1, 'next')], { token: 51 });
    await expect(
      before.write(domain, [saga(50, 1, 'before')], { token: 50 }),
    ).rejects.toBeInstanceOf(FencedError);
    expect((await (await open()).claimFence(domain, 50)).token).toBe(52);
    // A token the election made above every fence is kept as it is.
    expect((await (await open()).claimFence(domain, 90)).token).toBe(90);
    for (const r of [A, B, C])
      expect((await fx.rowOn(r, domain, 'saga'))?.value).toEqual({ step: 'next' });
  });

  it('fails a fenced read as fenced when a successor fenced the replicas first, instead of returning a view', async () => {
    const domain = 'fenced-read';
    const late = await open();
    const successor = await open();
    await successor.claimFence(domain, 4);
    // `late` was elected with 3 but its takeover reached the replicas after the successor's.
    await expect(late.scan(domain, { fence: 3 })).rejects.toBeInstanceOf(FencedError);
    await expect(late.readMany(domain, ['saga'], { fence: 4 })).rejects.toBeInstanceOf(FencedError);
  });
});
