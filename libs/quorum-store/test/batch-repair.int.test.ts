/**
 * Issue 9, hole 3, against the real three PostgreSQL instances: repair (anti-entropy here;
 * read-repair and write-back share the same code) must copy whole batches and obey the fence.
 * Hunts: a stale leader's late batch, landed on one unfenced replica, spread key by key onto
 * fenced replicas, leaving a ledger entry without its balance change; a legitimate batch that a
 * replica missed not being copied whole.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { RecordWrite } from '../index.ts';
import { FencedError } from '../index.ts';
import { replicaFixture } from './replica-fixture.ts';

const fx = replicaFixture();
afterEach(() => fx.cleanup());
afterAll(() => fx.dropDatabase());

const [A, B, C] = ['pg-1', 'pg-2', 'pg-3'] as const;
const all = () => fx.replicas;
const only = (...names: string[]) => fx.replicas.filter((r) => names.includes(r.name));

function put(key: string, fence: number, seq: number, value: unknown): RecordWrite {
  return { key, version: { fence, seq }, value };
}

describe('hole 3: repair keeps batches whole and respects the fence', () => {
  it('does not spread a stale leader batch that reached one replica, not even half of it', async () => {
    const domain = 'h3-stale';
    const oldLeader = await fx.open({ holder: 'leader-1' });
    await oldLeader.write(domain, [put('balance', 1, 1, 100)], { token: 1 });
    // The successor fences A and B only (C unreachable to it), and moves the balance on.
    const successor = await fx.open({ holder: 'leader-2', replicas: only(A, B), readQuorum: 1 });
    await successor.installFence(domain, 2);
    for (const r of [A, B]) await expect.poll(() => fx.fenceOn(r, domain)).toBe(2);
    await successor.write(domain, [put('balance', 2, 1, 100), put('ledger:y', 2, 1, 0)], {
      token: 2,
    });
    // The old leader's late batch (a ledger entry and its balance change): A and B refuse it,
    // C (unfenced) applies it. It never had W acks.
    const late = await oldLeader
      .write(domain, [put('ledger:x', 1, 1, -10), put('balance', 1, 2, 90)], { token: 1 })
      .catch((e: unknown) => e);
    expect(late).toBeInstanceOf(FencedError);
    expect((await fx.rowOn(C, domain, 'ledger:x'))?.value).toBe(-10);

    const auditor = await fx.open({ replicas: all() });
    const reports = await auditor.antiEntropy();
    const report = reports.find((r) => r.domain === domain);
    // Copying ledger:x alone onto A or B (their balance, at (2,1), beats the batch's (1,2))
    // would leave a ledger entry without its balance change; the fence there refuses token 1.
    expect(await fx.rowOn(A, domain, 'ledger:x')).toBeUndefined();
    expect(await fx.rowOn(B, domain, 'ledger:x')).toBeUndefined();
    expect(report?.refused).toBeGreaterThanOrEqual(2);
    // C still gets the successor's batch, whole (balance and ledger:y).
    expect(await fx.rowOn(C, domain, 'balance')).toMatchObject({ fence: 2, seq: 1, value: 100 });
    expect((await fx.rowOn(C, domain, 'ledger:y'))?.value).toBe(0);
  });

  it('copies a legitimate batch that one replica missed whole, even past a newer fence there', async () => {
    const domain = 'h3-missed';
    // Written with W = 2 acks on A and B while C was away.
    const leader = await fx.open({ holder: 'leader-1', replicas: only(A, B), readQuorum: 1 });
    await leader.write(domain, [put('ledger:1', 1, 1, -5), put('balance', 1, 1, 95)], {
      token: 1,
    });
    expect(await fx.rowOn(C, domain, 'ledger:1')).toBeUndefined();
    // A successor fences all three: C's fence (2) is above the batch's token, but the batch sits
    // on W replicas, so the successor's fenced reads saw it and copying it is safe.
    const successor = await fx.open({ holder: 'leader-2' });
    await successor.claimFence(domain, 2);
    const reports = await successor.antiEntropy();
    expect(reports.find((r) => r.domain === domain)).toMatchObject({ divergent: 2, refused: 0 });
    expect(await fx.rowOn(C, domain, 'ledger:1')).toMatchObject({ fence: 1, seq: 1, value: -5 });
    expect(await fx.rowOn(C, domain, 'balance')).toMatchObject({ fence: 1, seq: 1, value: 95 });
    expect(await fx.batchRowsOn(C, domain)).toBe(1);
  });
});

describe('a domain that spreads stale batches (the order domain)', () => {
  it('converges on a deposed leader last write that reached one replica, where a strict domain stays divergent', async () => {
    // A leader killed right after its write of a saga reached one replica: (1,2) sits on C only;
    // the successor fenced all three and never writes that saga again (its fenced read may
    // well have seen the (1,2) version, and a terminal saga is never written).
    for (const [domain, spread] of [
      ['spread-order', true],
      ['spread-strict', false],
    ] as const) {
      const leader = await fx.open({ holder: 'leader-1' });
      await leader.write(domain, [put('order:1', 1, 1, 'PENDING')], { token: 1 });
      const onC = await fx.open({
        holder: 'leader-1',
        replicas: only(C),
        writeQuorum: 1,
        readQuorum: 1,
      });
      await onC.write(domain, [put('order:1', 1, 2, 'COMPLETED')], { token: 1 });
      const successor = await fx.open({ holder: 'leader-2' });
      await successor.claimFence(domain, 2);
      const auditor = await fx.open({
        replicas: all(),
        ...(spread ? { spreadStaleBatches: [domain] } : {}),
      });
      const report = (await auditor.antiEntropy()).find((r) => r.domain === domain);
      const onA = await fx.rowOn(A, domain, 'order:1');
      if (spread) {
        expect(report).toMatchObject({ divergent: 1, refused: 0 });
        expect(onA).toMatchObject({ fence: 1, seq: 2, value: 'COMPLETED' });
        expect(await fx.rowOn(B, domain, 'order:1')).toMatchObject({ value: 'COMPLETED' });
      } else {
        expect(report?.refused).toBeGreaterThanOrEqual(1);
        expect(onA).toMatchObject({ fence: 1, seq: 1, value: 'PENDING' });
      }
    }
  });
});

describe('hole 7: anti-entropy is incremental', () => {
  it('compares only the keys changed since its watermark, after one paged full pass', async () => {
    const domain = 'h7-incremental';
    const store = await fx.open({ antiEntropySettleMs: 0, antiEntropyPageSize: 100 });
    for (let i = 0; i < 1000; i += 500) {
      const rows = Array.from({ length: 500 }, (_, j) => put(`k${i + j}`, 1, 1, i + j));
      await store.write(domain, rows, { token: 1 });
    }
    for (const r of [A, B, C]) await expect.poll(() => fx.countOn(r, domain)).toBe(1000);
    const first = (await store.antiEntropy()).find((r) => r.domain === domain);
    // The first pass of a store reads every change (in pages of 100): 1000 keys x 3 replicas.
    expect(first).toMatchObject({ compared: 3000, divergent: 0 });

    // One more write, which C misses.
    const twoOfThree = await fx.open({ replicas: only(A, B), readQuorum: 1 });
    await twoOfThree.write(domain, [put('late', 1, 1, 'x')], { token: 1 });
    const second = (await store.antiEntropy()).find((r) => r.domain === domain);
    // Its change on A and on B, then the repair's own change on C (read later in the same pass).
    expect(second).toMatchObject({ compared: 3, divergent: 1, repaired: 1 });
    expect((await fx.rowOn(C, domain, 'late'))?.value).toBe('x');
    // Nothing changed since: the next pass does not touch the domain at all.
    expect((await store.antiEntropy()).find((r) => r.domain === domain)).toBeUndefined();
  });

  it('compares every change in one pass when more than a page of them are still settling', async () => {
    // Combined faults, seed 18: the auditor ran right after a short, busy run; the first page of
    // each replica ended in changes younger than the settle time, the pass stopped there, and a
    // write a paused replica had missed stayed divergent ("still differs after repair").
    const domain = 'h7-settling';
    const store = await fx.open({ antiEntropySettleMs: 3_600_000, antiEntropyPageSize: 50 });
    await store.write(
      domain,
      Array.from({ length: 120 }, (_, i) => put(`k${i}`, 1, 1, i)),
      { token: 1 },
    );
    const twoOfThree = await fx.open({ replicas: only(A, B), readQuorum: 1 });
    await twoOfThree.write(domain, [put('late', 1, 1, 'x')], { token: 1 });
    const report = (await store.antiEntropy()).find((r) => r.domain === domain);
    expect(report).toMatchObject({ divergent: 1, repaired: 1 });
    expect((await fx.rowOn(C, domain, 'late'))?.value).toBe('x');
    // Nothing is settled, so the watermark has not moved: the next pass compares it all again.
    const again = (await store.antiEntropy()).find((r) => r.domain === domain);
    expect(again).toMatchObject({ divergent: 0 });
    expect(again!.compared).toBeGreaterThanOrEqual(3 * 121);
  });
});
