/**
 * Hunts saga bugs: completing without both effects, cancelling while an effect may still stand,
 * compensating in the wrong order, a stale or duplicate reply moving the saga, and a terminal
 * saga being reopened. A seeded simulator drives random replies, duplicates, re-drives and
 * deadlines; a failure prints the seed (rerun with SAGA_SEED=<seed>). Also hunts a send the
 * admin view of attempts per effect would miss or invent. Hole 1 of issue 9: a `failed` reply
 * (the deadline gate refused a redelivery) taken as proof that the effect never happened, while
 * an earlier delivery had applied it and lost its reply; the world model below keeps the
 * receivers' real state so the simulator can see an effect left standing on a CANCELLED order.
 */
import fc from 'fast-check';
import type { EffectAction } from '@seamline/contracts';
import { describe, expect, it } from 'vitest';
import type { EffectOutcome, Transition } from './saga-machine.ts';
import { onDeadline, onRedrive, onReply, startSaga } from './saga-machine.ts';
import type { Saga } from './saga-state.ts';
import { isTerminal, sendsPerAction } from './saga-state.ts';

const T0 = 1_000_000;
const order = {
  orderId: 'o-1',
  customerId: 'cust-1',
  items: [{ sku: 'sku-1', qty: 2, unitPriceCents: 150 }],
  currency: 'USD' as const,
  deadline: T0 + 10_000,
};
const applied: EffectOutcome = { kind: 'applied' };

function run(steps: ((s: Saga) => Transition)[]): { saga: Saga; sent: (EffectAction | null)[] } {
  let t = startSaga(order, T0);
  const sent: (EffectAction | null)[] = [t.send];
  for (const step of steps) {
    t = step(t.saga);
    sent.push(t.send);
  }
  return { saga: t.saga, sent };
}

describe('the order saga', () => {
  it('reserves, charges and completes on the happy path', () => {
    const { saga, sent } = run([
      (s) => onReply(s, 'reserve', applied, T0 + 1),
      (s) => onReply(s, 'charge', applied, T0 + 2),
    ]);
    expect(sent).toEqual(['reserve', 'charge', null]);
    expect(saga).toMatchObject({
      status: 'COMPLETED',
      reason: null,
      reserve: 'done',
      charge: 'done',
      totalCents: 300,
    });
  });

  it('cancels out of stock without charging', () => {
    const { saga, sent } = run([
      (s) => onReply(s, 'reserve', { kind: 'declined', reason: 'OUT_OF_STOCK' }, T0 + 1),
    ]);
    expect(sent).toEqual(['reserve', null]);
    expect(saga).toMatchObject({ status: 'CANCELLED', reason: 'OUT_OF_STOCK', charge: 'idle' });
  });

  it('releases the stock when the payment is declined, then cancels', () => {
    const { saga, sent } = run([
      (s) => onReply(s, 'reserve', applied, T0 + 1),
      (s) => onReply(s, 'charge', { kind: 'declined', reason: 'INSUFFICIENT_FUNDS' }, T0 + 2),
      (s) => onReply(s, 'release', applied, T0 + 3),
    ]);
    expect(sent).toEqual(['reserve', 'charge', 'release', null]);
    expect(saga).toMatchObject({
      status: 'CANCELLED',
      reason: 'PAYMENT_DECLINED',
      reserve: 'compensated',
    });
  });

  it('compensates newest first when the deadline passes mid-charge', () => {
    const { saga, sent } = run([
      (s) => onReply(s, 'reserve', applied, T0 + 1),
      (s) => onDeadline(s, order.deadline),
      (s) => onReply(s, 'refund', applied, order.deadline + 1),
      (s) => onReply(s, 'release', applied, order.deadline + 2),
    ]);
    expect(sent).toEqual(['reserve', 'charge', 'refund', 'release', null]);
    expect(saga).toMatchObject({
      status: 'CANCELLED',
      reason: 'DEADLINE_EXCEEDED',
      reserve: 'compensated',
      charge: 'compensated',
    });
  });

  it('ignores a reply for a command that is not outstanding', () => {
    const start = startSaga(order, T0).saga;
    expect(onReply(start, 'charge', applied, T0 + 1).saga).toBe(start);
  });

  it('resends the outstanding command only after the re-drive delay', () => {
    const start = startSaga(order, T0).saga;
    expect(onRedrive(start, T0 + 999, 1000).send).toBeNull();
    const again = onRedrive(start, T0 + 1000, 1000);
    expect(again.send).toBe('reserve');
    expect(again.saga.outstanding?.sends).toBe(2);
  });

  it('counts sends per action, re-sends included, never below the outstanding sends', () => {
    const { saga } = run([
      (s) => onRedrive(s, T0 + 2_000, 1_000),
      (s) => onReply(s, 'reserve', applied, T0 + 2_001),
      (s) => onRedrive(s, T0 + 4_000, 1_000),
      (s) => onRedrive(s, T0 + 6_000, 1_000),
    ]);
    expect([...sendsPerAction(saga)]).toEqual([
      ['reserve', 2],
      ['charge', 3],
    ]);
    // The history keeps only its last events; the outstanding command still counts in full.
    expect([...sendsPerAction({ ...saga, history: saga.history.slice(-1) })]).toEqual([
      ['charge', 3],
    ]);
  });

  it('hole 1: compensates a charge whose reply failed, since an earlier delivery may have applied it', () => {
    const failed: EffectOutcome = { kind: 'failed', code: 'DEADLINE_EXCEEDED' };
    const { saga, sent } = run([
      (s) => onReply(s, 'reserve', applied, T0 + 1),
      (s) => onReply(s, 'charge', failed, order.deadline - 1),
      (s) => onReply(s, 'refund', { kind: 'applied' }, order.deadline + 1),
      (s) => onReply(s, 'release', applied, order.deadline + 2),
    ]);
    expect(sent).toEqual(['reserve', 'charge', 'refund', 'release', null]);
    expect(saga).toMatchObject({
      status: 'CANCELLED',
      reserve: 'compensated',
      charge: 'compensated',
    });
  });

  it('hole 1: releases a reservation whose reply failed before cancelling', () => {
    const { saga, sent } = run([
      (s) => onReply(s, 'reserve', { kind: 'failed', code: 'DEADLINE_EXCEEDED' }, T0 + 1),
      (s) => onReply(s, 'release', applied, T0 + 2),
    ]);
    expect(sent).toEqual(['reserve', 'release', null]);
    expect(saga).toMatchObject({ status: 'CANCELLED', reserve: 'compensated', charge: 'idle' });
  });

  it('retries a refused compensation instead of finishing', () => {
    const { saga } = run([
      (s) => onReply(s, 'reserve', applied, T0 + 1),
      (s) => onReply(s, 'charge', { kind: 'declined', reason: 'INSUFFICIENT_FUNDS' }, T0 + 2),
      (s) => onReply(s, 'release', { kind: 'failed', code: 'UNAVAILABLE' }, T0 + 3),
    ]);
    expect(saga.status).toBe('COMPENSATING');
    // Not at once (a refusal must not turn into a send loop), but after the re-drive delay,
    // counted as a further send of the same compensation.
    expect(onRedrive(saga, T0 + 4, 1000).send).toBeNull();
    const again = onRedrive(saga, T0 + 2 + 1000, 1000);
    expect(again.send).toBe('release');
    expect(again.saga.outstanding).toMatchObject({ action: 'release', sends: 2 });
  });
});

type Event =
  | { kind: 'reply'; action: EffectAction; outcome: EffectOutcome }
  | { kind: 'redrive' }
  | { kind: 'tick'; ms: number };

const event: fc.Arbitrary<Event> = fc.oneof(
  fc.record({
    kind: fc.constant('reply' as const),
    action: fc.constantFrom<EffectAction>('reserve', 'charge', 'release', 'refund'),
    outcome: fc.oneof(
      fc.constant<EffectOutcome>({ kind: 'applied' }),
      fc.constant<EffectOutcome>({ kind: 'declined', reason: 'X' }),
      fc.constant<EffectOutcome>({ kind: 'failed', code: 'Y' }),
    ),
  }),
  fc.constant<Event>({ kind: 'redrive' }),
  fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 4000 }) }),
);

describe('the order saga under random replies, duplicates, re-drives and deadlines', () => {
  it('ends completed with both effects, or cancelled with nothing left standing', () => {
    const seed = Number(process.env.SAGA_SEED ?? Date.now() % 2 ** 31);
    console.log(`saga simulator seed=${seed}`);
    fc.assert(
      fc.property(fc.array(event, { maxLength: 60 }), (events) => {
        let now = T0;
        let saga = startSaga(order, now).saga;
        let wasTerminal = false;
        const sent = new Map<EffectAction, number>([['reserve', 1]]);
        for (const e of events) {
          if (e.kind === 'tick') now += e.ms;
          const t =
            e.kind === 'reply'
              ? onReply(saga, e.action, e.outcome, now)
              : onRedrive(saga, now, 1000);
          if (wasTerminal) expect(t.saga).toBe(saga);
          saga = t.saga;
          if (t.send !== null) sent.set(t.send, (sent.get(t.send) ?? 0) + 1);
          // Exact while the history is whole (it keeps the last 50 events).
          if (saga.history.length < 50) expect(sendsPerAction(saga)).toEqual(sent);
          wasTerminal ||= isTerminal(saga.status);
          if (saga.status === 'COMPLETED')
            expect([saga.reserve, saga.charge]).toEqual(['done', 'done']);
          if (saga.status === 'CANCELLED') {
            expect(['pending', 'done']).not.toContain(saga.reserve);
            expect(['pending', 'done']).not.toContain(saga.charge);
          }
          if (saga.status === 'COMPENSATING' && saga.outstanding?.action === 'release')
            expect(['pending', 'done']).not.toContain(saga.charge);
        }
      }),
      { seed, numRuns: 2000 },
    );
  });
});

/**
 * The receivers as they really are, beside the saga: which effects took effect, with the
 * tombstone a compensation leaves when it arrives first (a later forward step is then declined).
 * A delivery decides once per key and stores its result; a reply the orchestrator sees is either
 * that stored result or a `failed` refusal of some later delivery (deadline gate, lost context),
 * whatever the stored result was: the "failed but applied" case.
 */
class Receivers {
  private readonly decided = new Map<EffectAction, EffectOutcome>();
  private readonly standing = new Set<'reserve' | 'charge'>();
  private readonly tombstoned = new Set<'reserve' | 'charge'>();

  deliver(action: EffectAction, declines: boolean): void {
    if (this.decided.has(action)) return;
    if (action === 'reserve' || action === 'charge') {
      const take = !declines && !this.tombstoned.has(action);
      if (take) this.standing.add(action);
      this.decided.set(action, take ? applied : { kind: 'declined', reason: 'X' });
    } else {
      const forward = action === 'release' ? 'reserve' : 'charge';
      this.standing.delete(forward);
      this.tombstoned.add(forward);
      this.decided.set(action, applied);
    }
  }

  stored(action: EffectAction): EffectOutcome | undefined {
    return this.decided.get(action);
  }

  left(): string[] {
    return [...this.standing].sort();
  }
}

type WorldEvent =
  | { kind: 'deliver'; action: EffectAction; declines: boolean }
  | { kind: 'reply'; action: EffectAction; faithful: boolean }
  | { kind: 'redrive' }
  | { kind: 'tick'; ms: number };

const actions = fc.constantFrom<EffectAction>('reserve', 'charge', 'release', 'refund');
const worldEvent: fc.Arbitrary<WorldEvent> = fc.oneof(
  fc.record({ kind: fc.constant('deliver' as const), action: actions, declines: fc.boolean() }),
  fc.record({ kind: fc.constant('reply' as const), action: actions, faithful: fc.boolean() }),
  fc.constant<WorldEvent>({ kind: 'redrive' }),
  fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 4000 }) }),
);

describe('the order saga against the receivers it drives (hole 1: failed but applied)', () => {
  it('never finishes CANCELLED with an effect still standing, nor COMPLETED without both', () => {
    const seed = Number(process.env.SAGA_SEED ?? Date.now() % 2 ** 31);
    console.log(`saga world simulator seed=${seed}`);
    fc.assert(
      fc.property(fc.array(worldEvent, { maxLength: 80 }), (events) => {
        let now = T0;
        let saga = startSaga(order, now).saga;
        const world = new Receivers();
        const everSent = new Set<EffectAction>(['reserve']);
        for (const e of events) {
          if (e.kind === 'tick') now += e.ms;
          // Only a command the orchestrator sent can reach a receiver or be answered.
          if ((e.kind === 'deliver' || e.kind === 'reply') && !everSent.has(e.action)) continue;
          if (e.kind === 'deliver') {
            world.deliver(e.action, e.declines);
            continue;
          }
          let outcome: EffectOutcome | undefined;
          if (e.kind === 'reply') {
            outcome = e.faithful ? world.stored(e.action) : { kind: 'failed', code: 'REFUSED' };
            if (outcome === undefined) continue; // nothing decided yet: no faithful reply exists
          }
          const t =
            e.kind === 'reply' && outcome !== undefined
              ? onReply(saga, e.action, outcome, now)
              : onRedrive(saga, now, 1000);
          saga = t.saga;
          if (t.send !== null) everSent.add(t.send);
        }
        // Drain: every command ever sent is delivered at last (redelivery); a compensation
        // leaves its tombstone, a late forward step after it takes no effect.
        for (const action of everSent) world.deliver(action, false);
        if (saga.status === 'CANCELLED') expect(world.left()).toEqual([]);
        if (saga.status === 'COMPLETED') expect(world.left()).toEqual(['charge', 'reserve']);
      }),
      { seed, numRuns: 3000 },
    );
  });
});
