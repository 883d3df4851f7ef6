/**
 * Issue 11, item 1: records client histories against the real quorum store (three PostgreSQL
 * instances) and checks them. Hunts: a linearizable-mode read that misses an acknowledged
 * write or sees a value come back after a newer one was returned (a broken ABD write-back), a
 * default-mode read older than a completed write (not even a regular register), and a checker
 * that cannot fail: eventual mode and the write-back switch must be flagged.
 *
 * Each test runs concurrent clients on a few keys while a nemesis pauses and resumes replicas,
 * plus one scripted schedule on its own key that a weaker store always fails: the replicas are
 * killed, restarted and paused so that reads land on the replicas a protection is meant to fix.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Operation, Value } from '@seamline/history-check';
import { checkLinearizable, checkRegular, HistoryRecorder } from '@seamline/history-check';
import { seededRandom } from '@seamline/retry-budget';
import { waitFor } from '../../../infra/stack/index.ts';
import type { QuorumStore, QuorumStoreOptions } from '../index.ts';
import { IndeterminateWriteError, QuorumUnavailableError } from '../index.ts';
import { replicaFixture } from './replica-fixture.ts';

const fx = replicaFixture();
afterEach(() => fx.cleanup());
afterAll(() => fx.dropDatabase());

const [A, B, C] = ['pg-1', 'pg-2', 'pg-3'] as const;
const TOKEN = 1;
const seed = Number(process.env['HC_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
console.info(`[consistency-history] seed=${seed} (rerun with HC_SEED=${seed})`);

/** Ejection off: the scripted schedules decide which replicas answer, not the health tracker. */
const base: Partial<QuorumStoreOptions> = {
  replicaTimeoutMs: 400,
  ejection: { failuresToEject: 1_000_000 },
};

/**
 * The clients' view of the store. Versions come from one counter taken at invocation, as from
 * the single fenced writer of a partition: a write that completed before another began has the
 * lower version.
 */
class Clients {
  readonly rec = new HistoryRecorder();
  completed = 0;
  private seq = 0;

  constructor(
    private readonly store: QuorumStore,
    readonly domain: string,
  ) {}

  async write(process: string, key: string): Promise<Value> {
    const seq = ++this.seq;
    const value = `${process}:${seq}`;
    const op = this.rec.invoke({ process, key, kind: 'write', value });
    try {
      await this.store.write(this.domain, [{ key, version: { fence: TOKEN, seq }, value }], {
        token: TOKEN,
      });
      op.ok();
    } catch (err) {
      // Unavailable means provably applied nowhere; anything else may have applied.
      if (err instanceof QuorumUnavailableError) op.fail();
      else op.info();
      throw err;
    } finally {
      this.completed += 1;
    }
    return value;
  }

  async read(process: string, key: string): Promise<Value> {
    const op = this.rec.invoke({ process, key, kind: 'read' });
    try {
      const value = ((await this.store.read(this.domain, key))?.value ?? null) as Value;
      op.ok(value);
      return value;
    } catch (err) {
      op.fail();
      throw err;
    } finally {
      this.completed += 1;
    }
  }

  /** `clients` sequential clients, each doing `ops` random reads and writes on `keys`. */
  async run(clients: number, ops: number, keys: readonly string[]): Promise<void> {
    const random = seededRandom(seed);
    const plans = Array.from({ length: clients }, () =>
      Array.from({ length: ops }, () => ({
        key: keys[Math.floor(random() * keys.length)]!,
        write: random() < 0.4,
      })),
    );
    await Promise.all(
      plans.map(async (plan, c) => {
        for (const { key, write } of plan) {
          const process = `c${c}`;
          await (write ? this.write(process, key) : this.read(process, key)).catch(() => {});
        }
      }),
    );
  }

  async awaitCompleted(target: number, done: () => boolean): Promise<void> {
    await waitFor(() => this.completed >= target || done(), {
      what: `${target} completed operations`,
      timeoutMs: 30_000,
      intervalMs: 5,
    });
  }
}

/**
 * Pauses replicas in turn while the clients complete `every` operations, then resumes them.
 * With two paused, writes reach one replica and end indeterminate; the paused replicas apply
 * them when they run again, long after their clients gave up: unknown outcomes that land late.
 */
async function nemesis(clients: Clients, done: () => boolean, every: number): Promise<number> {
  let pauses = 0;
  for (const round of [[B], [B, C], [A], [A, C], [C]]) {
    if (done()) break;
    for (const r of round) await fx.pause(r);
    pauses += 1;
    await clients.awaitCompleted(clients.completed + every, done);
    for (const r of round) await fx.resume(r);
    await clients.awaitCompleted(clients.completed + every, done);
  }
  return pauses;
}

async function concurrentPhase(clients: Clients): Promise<void> {
  let finished = false;
  const work = clients.run(6, 60, ['k1', 'k2', 'k3']).finally(() => {
    finished = true;
  });
  const pauses = await nemesis(clients, () => finished, 15);
  await work;
  const ops = clients.rec.history();
  const count = (outcome: string) => ops.filter((o) => o.outcome === outcome).length;
  console.info(
    `[consistency-history] ${clients.domain}: ${ops.length} ops (${count('ok')} ok, ${count('info')} info, ${count('fail')} fail), ${pauses} pauses`,
  );
  expect(pauses, 'the nemesis paused replicas while clients ran').toBeGreaterThanOrEqual(3);
}

/**
 * Leaves a write of `new` on replica A alone (B and C killed while it ran, then restarted
 * without it), then reads once from A and B (C paused) and once from B and C (A paused). The
 * first read returns `new`; a store that does not write it back before returning lets the
 * second read return `old`: a new-then-old inversion.
 */
async function lonelyWriteSchedule(
  clients: Clients,
): Promise<{ old: Value; lonely: Value; first: Value; second: Value }> {
  const key = 'lonely';
  const old = await clients.write('s', key);
  for (const r of [A, B, C])
    await expect.poll(() => fx.rowOn(r, clients.domain, key).then((x) => x?.value)).toBe(old);
  await Promise.all([fx.kill(B), fx.kill(C)]);
  const err = await clients.write('s', key).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(IndeterminateWriteError);
  const lonely = clients.rec.history().at(-1)?.value ?? null;
  await Promise.all([fx.restart(B), fx.restart(C)]);
  expect((await fx.rowOn(B, clients.domain, key))?.value).toBe(old);
  expect((await fx.rowOn(C, clients.domain, key))?.value).toBe(old);
  await fx.pause(C);
  const first = await clients.read('r1', key);
  await fx.resume(C);
  await fx.pause(A);
  const second = await clients.read('r2', key);
  await fx.resume(A);
  expect(first, 'the first read sees the lonely write').toBe(lonely);
  return { old, lonely, first, second };
}

/**
 * After a completed write, replica C alone misses it (killed during the write, restarted
 * without it); then the read runs with `paused` stopped, so C is among the replicas that answer
 * (the only one when A and B are paused).
 */
async function staleReplicaSchedule(clients: Clients, paused: readonly string[]): Promise<Value> {
  const key = 'stale';
  await clients.write('s', key);
  await fx.kill(C);
  const newer = await clients.write('s', key);
  await fx.restart(C);
  expect((await fx.rowOn(C, clients.domain, key))?.value).not.toBe(newer);
  for (const r of paused) await fx.pause(r);
  const seen = await clients.read('r', key);
  for (const r of paused) await fx.resume(r);
  return seen;
}

function linearizability(ops: readonly Operation[]) {
  const result = checkLinearizable(ops);
  return {
    verdict: result.verdict,
    explanations: result.keys.flatMap((k) =>
      k.explanation === undefined ? [] : [`${k.key}: ${k.explanation.message}`],
    ),
  };
}

describe('recorded histories of the quorum store, checked (issue 11)', () => {
  it('linearizable mode passes the linearizability check under replica pauses and a lonely write', async () => {
    const store = await fx.open({ ...base, consistency: 'linearizable' });
    const clients = new Clients(store, 'linearizable');
    await concurrentPhase(clients);
    const { lonely, second } = await lonelyWriteSchedule(clients);
    expect(second, 'the write-back made the second read see it too').toBe(lonely);
    const ops = clients.rec.history();
    const lin = linearizability(ops);
    expect(lin.explanations, `seed ${seed}`).toEqual([]);
    expect(lin.verdict).toBe('ok');
    expect(checkRegular(ops).verdict).toBe('ok');
  });

  it('flags linearizable mode with the write-back switched off: new, then old', async () => {
    const store = await fx.open({
      ...base,
      consistency: 'linearizable',
      unsafe: { writeBack: false },
    });
    const clients = new Clients(store, 'no-write-back');
    const { old, second } = await lonelyWriteSchedule(clients);
    expect(second, 'without write-back the second read goes back').toBe(old);
    const lin = checkLinearizable(clients.rec.history());
    expect(lin.verdict).toBe('violation');
    const flagged = lin.keys.find((k) => k.verdict === 'violation');
    expect(flagged?.key).toBe('lonely');
    expect(flagged?.explanation?.stuck?.process).toBe('r2');
  });

  it('flags eventual mode (R = 1): a read from the one replica that missed a completed write', async () => {
    const store = await fx.open({
      ...base,
      consistency: 'eventual',
      writeQuorum: 2,
      readQuorum: 1,
    });
    const clients = new Clients(store, 'eventual');
    await concurrentPhase(clients);
    await staleReplicaSchedule(clients, [A, B]);
    const ops = clients.rec.history();
    const lin = checkLinearizable(ops);
    expect(lin.keys.find((k) => k.key === 'stale')?.verdict).toBe('violation');
    const regular = checkRegular(ops);
    expect(regular.violations.map((v) => [v.kind, v.read.key])).toContainEqual([
      'stale-read',
      'stale',
    ]);
  });

  it('default quorum mode keeps a regular register with read-your-writes under the same faults', async () => {
    const store = await fx.open({ ...base });
    expect(store.consistency).toBe('quorum');
    const clients = new Clients(store, 'quorum');
    await concurrentPhase(clients);
    await lonelyWriteSchedule(clients);
    // R = 2 of B and C: B holds the completed write, so the stale C cannot hide it.
    await staleReplicaSchedule(clients, [A]);
    const ops = clients.rec.history();
    const regular = checkRegular(ops);
    expect(
      regular.violations.map((v) => v.message),
      `seed ${seed}`,
    ).toEqual([]);
    // Not asserted: this mode does not promise it (docs/reliability.md). Logged as evidence.
    const lin = linearizability(ops);
    console.info(
      `[consistency-history] quorum mode, linearizability: ${lin.verdict} ${lin.explanations.join('; ')}`,
    );
    expect(regular.readsChecked).toBeGreaterThan(50);
  });
});
