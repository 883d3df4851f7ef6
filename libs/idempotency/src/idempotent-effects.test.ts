/**
 * Hunts double and lost effects in the receiver: a duplicate delivery applying the effect twice
 * (sequentially, concurrently, or around an indeterminate write), a replay returning a different
 * answer than the first, a reused key answered with another request's result, a parked write
 * skipped by the next decision, and a stale cache surviving a change of writer.
 */
import fc from 'fast-check';
import { FencedError, QuorumUnavailableError } from '@seamline/quorum-store';
import { describe, expect, it } from 'vitest';
import {
  DeadlinePassedError,
  EffectWritePendingError,
  FencedEffectWriter,
  IdempotencyKeyReusedError,
  IdempotentEffects,
  NotWriterError,
} from '../index.ts';
import type { ChargeOutcome } from '../test/charge-effect.ts';
import { chargeRequest } from '../test/charge-effect.ts';
import type { Scheduler, WriteFault } from '../test/memory-store.ts';
import { MemoryStore } from '../test/memory-store.ts';

const INITIAL = 1000;
const AMOUNTS: Record<string, number> = { k1: 100, k2: 250, k3: 400, k4: 700 };
const immediate = (): Promise<void> => Promise.resolve();

function setup(faults: readonly WriteFault[] = [], scheduler?: Scheduler) {
  const store = new MemoryStore(faults, scheduler);
  store.records.set('account:a', {
    key: 'account:a',
    version: { fence: 1, seq: 1 },
    tag: null,
    value: { balance: INITIAL },
  });
  const writer = new FencedEffectWriter({
    store,
    domain: 'payment',
    sleep: immediate,
    writeAttempts: 2,
  });
  writer.activate(7);
  const counts = { dedup: 0, reused: 0 };
  const effects = new IdempotentEffects({
    writer,
    observer: { onDedupHit: () => counts.dedup++, onKeyReused: () => counts.reused++ },
  });
  return { store, writer, effects, counts };
}

const fault = fc.constantFrom<WriteFault>(
  'ok',
  'ok',
  'indeterminate-applied',
  'indeterminate-lost',
  'unavailable',
);
const seed = Number(process.env['SEAMLINE_SEED'] ?? Date.now() % 2 ** 31);

describe('IdempotentEffects under any interleaving of duplicate deliveries', () => {
  it(`applies each key's effect exactly once and always answers the first decision (seed ${seed})`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.constantFrom('k1', 'k2', 'k3', 'k4'), { minLength: 1, maxLength: 16 }),
        fc.array(fault, { maxLength: 24 }),
        async (s, deliveries, faults) => {
          const { store, effects, counts } = setup(faults, (fn) => s.scheduleFunction(fn));
          const answers = new Map<string, { result: ChargeOutcome; replayed: boolean }[]>();
          const record = (key: string, o: { result: ChargeOutcome; replayed: boolean }): void => {
            answers.set(key, [...(answers.get(key) ?? []), o]);
          };
          const runs = deliveries.map((key) =>
            effects.run(chargeRequest(key, 'a', AMOUNTS[key]!)).then(
              (o) => record(key, o),
              (err: unknown) => {
                // Only retryable failures may surface; the bus would redeliver them.
                expect(
                  err instanceof EffectWritePendingError || err instanceof QuorumUnavailableError,
                ).toBe(true);
              },
            ),
          );
          await s.waitFor(Promise.all(runs));

          // Redelivery until every key has an answer, as the bus and the orchestrator would.
          store.unschedule();
          store.setFaults([]);
          for (const key of new Set(deliveries))
            record(key, await effects.run(chargeRequest(key, 'a', AMOUNTS[key]!)));

          let charged = 0;
          for (const [key, list] of answers) {
            expect(new Set(list.map((a) => JSON.stringify(a.result))).size).toBe(1);
            expect(list.filter((a) => !a.replayed).length).toBeLessThanOrEqual(1);
            if (list[0]!.result.outcome === 'charged') {
              charged += AMOUNTS[key]!;
              expect(store.value(`ledger:${key}`)).toEqual({ amount: AMOUNTS[key] });
            } else {
              expect(store.value(`ledger:${key}`)).toBeUndefined();
            }
          }
          expect(store.value('account:a')).toEqual({ balance: INITIAL - charged });
          const replays = [...answers.values()].flat().filter((a) => a.replayed).length;
          expect(counts.dedup).toBe(replays);
        },
      ),
      { seed, numRuns: 300 },
    );
  });
});

describe('IdempotentEffects', () => {
  it('replays a duplicate from the stored result and counts one dedup hit', async () => {
    const { store, effects, counts } = setup();
    const first = await effects.run(chargeRequest('k1', 'a', 100));
    const second = await effects.run(chargeRequest('k1', 'a', 100));
    expect(first).toEqual({ result: { outcome: 'charged', balanceAfter: 900 }, replayed: false });
    expect(second).toEqual({ result: { outcome: 'charged', balanceAfter: 900 }, replayed: true });
    expect(counts.dedup).toBe(1);
    expect(store.value('account:a')).toEqual({ balance: 900 });
    expect(store.writeCalls).toBe(1);
  });

  it('hole 1: answers a late request from its stored result, and refuses one with none', async () => {
    const { store, effects } = setup();
    const late = { mayStart: () => false };
    await effects.run(chargeRequest('k1', 'a', 100));
    const replayed = await effects.run({ ...chargeRequest('k1', 'a', 100), ...late });
    expect(replayed).toEqual({
      result: { outcome: 'charged', balanceAfter: 900 },
      replayed: true,
    });
    await expect(effects.run({ ...chargeRequest('k2', 'a', 250), ...late })).rejects.toThrow(
      DeadlinePassedError,
    );
    expect(store.value('account:a')).toEqual({ balance: 900 });
    expect(store.writeCalls).toBe(1);
  });

  it('replays from the replicas after a restart empties the cache', async () => {
    const { store, effects } = setup();
    await effects.run(chargeRequest('k1', 'a', 100));
    const writer = new FencedEffectWriter({ store, domain: 'payment', sleep: immediate });
    writer.activate(8);
    const again = await new IdempotentEffects({ writer }).run(chargeRequest('k1', 'a', 100));
    expect(again.replayed).toBe(true);
    expect(store.value('account:a')).toEqual({ balance: 900 });
  });

  it('refuses a reused key with a different request, leaving state untouched', async () => {
    const { store, effects, counts } = setup();
    await effects.run(chargeRequest('k1', 'a', 100));
    const reused = effects.run(chargeRequest('k1', 'a', 999));
    await expect(reused).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    await expect(reused).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
      retryable: false,
    });
    expect(store.value('account:a')).toEqual({ balance: 900 });
    expect(counts).toEqual({ dedup: 0, reused: 1 });
  });

  it('re-drives a parked indeterminate write before deciding anything else on its records', async () => {
    const { store, effects, writer } = setup(['indeterminate-lost', 'indeterminate-lost']);
    await expect(effects.run(chargeRequest('k1', 'a', 100))).rejects.toBeInstanceOf(
      EffectWritePendingError,
    );
    expect(writer.pendingWrites).toBe(1);
    expect(store.value('account:a')).toEqual({ balance: INITIAL });
    // Another key on the same account: the parked batch lands first, then k2 builds on it.
    const k2 = await effects.run(chargeRequest('k2', 'a', 250));
    expect(k2.result).toEqual({ outcome: 'charged', balanceAfter: 650 });
    expect(store.value('ledger:k1')).toEqual({ amount: 100 });
    expect(writer.pendingWrites).toBe(0);
    expect((await effects.run(chargeRequest('k1', 'a', 100))).replayed).toBe(true);
  });

  it('forgets a decision whose write provably applied nowhere', async () => {
    const { store, effects, writer } = setup(['unavailable', 'unavailable']);
    await expect(effects.run(chargeRequest('k1', 'a', 100))).rejects.toBeInstanceOf(
      QuorumUnavailableError,
    );
    expect(writer.pendingWrites).toBe(0);
    expect(store.records.has('idem:k1')).toBe(false);
    expect((await effects.run(chargeRequest('k1', 'a', 100))).replayed).toBe(false);
  });

  it('re-tries an indeterminate write with the same versions until it lands', async () => {
    const { store, effects } = setup(['indeterminate-lost']);
    const out = await effects.run(chargeRequest('k1', 'a', 100));
    expect(out.result).toEqual({ outcome: 'charged', balanceAfter: 900 });
    expect(store.writeCalls).toBe(2);
    expect(store.records.get('account:a')?.version).toEqual({ fence: 7, seq: 1 });
  });

  it('refuses to write without a token and stops at a record of a newer writer', async () => {
    const { store, effects, writer } = setup();
    writer.deactivate();
    await expect(effects.run(chargeRequest('k1', 'a', 100))).rejects.toBeInstanceOf(NotWriterError);
    writer.activate(7);
    store.records.set('account:a', {
      key: 'account:a',
      version: { fence: 9, seq: 1 },
      tag: null,
      value: { balance: 5 },
    });
    await expect(effects.run(chargeRequest('k1', 'a', 100))).rejects.toBeInstanceOf(FencedError);
  });

  it('starts a new term from the replicas, not from the old cache', async () => {
    const { store, effects, writer } = setup();
    await effects.run(chargeRequest('k1', 'a', 100));
    // Another writer held the lease in between and moved the account.
    store.records.set('account:a', {
      key: 'account:a',
      version: { fence: 8, seq: 1 },
      tag: null,
      value: { balance: 300 },
    });
    writer.activate(9);
    const out = await effects.run(chargeRequest('k2', 'a', 250));
    expect(out.result).toEqual({ outcome: 'charged', balanceAfter: 50 });
    expect(store.records.get('account:a')?.version).toEqual({ fence: 9, seq: 1 });
  });

  it('makes a duplicate arriving mid-flight wait for the first and replay it', async () => {
    const { store, effects, counts } = setup();
    const [a, b, c] = await Promise.all(
      [1, 2, 3].map(() => effects.run(chargeRequest('k1', 'a', 100))),
    );
    expect([a, b, c].filter((o) => !o!.replayed)).toHaveLength(1);
    expect(counts.dedup).toBe(2);
    expect(store.writeCalls).toBe(1);
    expect(store.readCalls).toBe(1);
  });
});

describe('FencedEffectWriter onWritten (the duplicate-effect check reads it)', () => {
  function watched(faults: readonly WriteFault[]) {
    const store = new MemoryStore(faults);
    const written: string[][] = [];
    const writer = new FencedEffectWriter({
      store,
      domain: 'payment',
      sleep: immediate,
      writeAttempts: 1,
      observer: { onWritten: (_d, rows) => written.push(rows.map((r) => r.key).sort()) },
    });
    writer.activate(7);
    return { writer, written, store };
  }

  it('reports a batch once it collected its acks, and nothing for a replay or a failed write', async () => {
    const { writer, written, store } = watched(['unavailable', 'ok']);
    const effects = new IdempotentEffects({ writer });
    store.records.set('account:a', {
      key: 'account:a',
      version: { fence: 1, seq: 1 },
      tag: null,
      value: { balance: INITIAL },
    });
    await expect(effects.run(chargeRequest('k1', 'a', 100))).rejects.toBeInstanceOf(
      QuorumUnavailableError,
    );
    expect(written).toEqual([]);
    await effects.run(chargeRequest('k1', 'a', 100));
    await effects.run(chargeRequest('k1', 'a', 100));
    expect(written).toEqual([['account:a', 'idem:k1', 'ledger:k1']]);
  });
});
