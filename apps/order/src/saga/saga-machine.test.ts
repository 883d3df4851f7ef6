/**
 * Hunts saga bugs: completing without both effects, cancelling while an effect may still stand,
 * compensating in the wrong order, a stale or duplicate reply moving the saga, and a terminal
 * saga being reopened. A seeded simulator drives random replies, duplicates, re-drives and
 * deadlines; a failure prints the seed (rerun with SAGA_SEED=<seed>). Also hunts a send the
 * admin view of attempts per effect would miss or invent.
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

  it('retries a refused compensation instead of finishing', () => {
    const { saga } = run([
      (s) => onReply(s, 'reserve', applied, T0 + 1),
      (s) => onReply(s, 'charge', { kind: 'declined', reason: 'INSUFFICIENT_FUNDS' }, T0 + 2),
      (s) => onReply(s, 'release', { kind: 'failed', code: 'UNAVAILABLE' }, T0 + 3),
    ]);
    expect(saga.status).toBe('COMPENSATING');
    expect(onRedrive(saga, T0 + 4, 1000).send).toBe('release');
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
