/**
 * The scheduling of group commit (ADR 0018) with a fake replica. What a bug would break: a lone
 * write waiting for a timer, two transactions of one lane in flight at once, a write left
 * behind in the queue, a group's outcome given to writes of another group, and a write that
 * timed out while queued still being sent (or reported as maybe applied).
 */
import { describe, expect, it } from 'vitest';
import type { QueuedWrite } from './group-commit.ts';
import type { WriteOutcome } from './quorum-decision.ts';
import { WriteLane } from './write-lane.ts';

function w(token: number, key: string): QueuedWrite {
  return {
    rows: [{ key, version: { fence: token, seq: 1 }, value: key }],
    batch: { id: key, token, holder: 'h' },
    insertOnly: false,
  };
}

const expired = (): WriteOutcome => ({
  kind: 'failed',
  replica: 'r',
  reason: 'did not answer (queued)',
  applied: 'no',
});

/** A replica whose transactions finish when the test says so. */
function fakeReplica(decide: (group: readonly QueuedWrite[]) => WriteOutcome) {
  const sent: string[][] = [];
  const pending: (() => void)[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const apply = (group: readonly QueuedWrite[]) =>
    new Promise<WriteOutcome[]>((resolve) => {
      sent.push(group.map((g) => g.batch.id));
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      pending.push(() => {
        inFlight -= 1;
        resolve(group.map(() => decide(group)));
      });
    });
  return {
    apply,
    sent,
    finishNext: async () => {
      pending.shift()?.();
      await new Promise((r) => setImmediate(r));
    },
    get maxInFlight() {
      return maxInFlight;
    },
  };
}

const ack = (): WriteOutcome => ({ kind: 'ack', replica: 'r' });

describe('WriteLane', () => {
  it('sends a write that finds the lane idle at once, alone', () => {
    const fake = fakeReplica(ack);
    const lane = new WriteLane(fake.apply, { maxWrites: 64, maxRows: 100 }, 1000, expired);
    void lane.submit(w(1, 'a'));
    expect(fake.sent).toEqual([['a']]);
  });

  it('queues what arrives while a transaction is in flight and sends it as the next group', async () => {
    const fake = fakeReplica(ack);
    const lane = new WriteLane(fake.apply, { maxWrites: 64, maxRows: 100 }, 1000, expired);
    const all = ['a', 'b', 'c', 'd'].map((k) => lane.submit(w(1, k)));
    expect(fake.sent).toEqual([['a']]);
    expect(lane.queued).toBe(3);
    await fake.finishNext();
    expect(fake.sent).toEqual([['a'], ['b', 'c', 'd']]);
    await fake.finishNext();
    expect(await Promise.all(all)).toEqual(Array.from({ length: 4 }, ack));
    expect(fake.maxInFlight).toBe(1);
    expect(lane.inFlight).toBe(false);
  });

  it('gives each group its own outcome: a stale token is fenced, the fresh writes around it ack', async () => {
    const fake = fakeReplica((group) =>
      group[0]!.batch.token < 5
        ? { kind: 'fenced', replica: 'r', installed: 5, holder: 'h' }
        : { kind: 'ack', replica: 'r' },
    );
    const lane = new WriteLane(fake.apply, { maxWrites: 64, maxRows: 100 }, 1000, expired);
    const first = lane.submit(w(5, 'a'));
    const rest = [lane.submit(w(5, 'b')), lane.submit(w(4, 'stale')), lane.submit(w(5, 'c'))];
    for (let i = 0; i < 4; i++) await fake.finishNext();
    expect(fake.sent).toEqual([['a'], ['b'], ['stale'], ['c']]);
    const outcomes = await Promise.all([first, ...rest]);
    expect(outcomes.map((o) => o.kind)).toEqual(['ack', 'ack', 'fenced', 'ack']);
  });

  it('takes a write that timed out while queued out of the queue: never sent, provably not applied', async () => {
    const fake = fakeReplica(ack);
    const lane = new WriteLane(fake.apply, { maxWrites: 64, maxRows: 100 }, 20, expired);
    const first = lane.submit(w(1, 'a'));
    const queued = lane.submit(w(1, 'b'));
    expect(await queued).toEqual(expired());
    expect(lane.queued).toBe(0);
    await fake.finishNext();
    expect(await first).toEqual(ack());
    expect(fake.sent).toEqual([['a']]);
  });
});
