/**
 * The order saga, as a pure state machine. I/O (persisting, sending, timers) lives in the
 * orchestrator; every function here takes the current saga and an event and returns the next
 * saga plus the command to send, so it can be tested exhaustively.
 *
 *   reserve ──applied──▶ charge ──applied──▶ COMPLETED
 *      │                    │
 *      │ declined           ├─ declined ──▶ release ──▶ CANCELLED(PAYMENT_DECLINED)
 *      ▼                    └─ failed ────▶ refund ──▶ release ──▶ CANCELLED(DEADLINE_EXCEEDED)
 *   CANCELLED(OUT_OF_STOCK)
 *      (reserve failed ──▶ release ──▶ CANCELLED(DEADLINE_EXCEEDED))
 *
 *   deadline passed while PENDING ──▶ refund (if charge pending/done)
 *                                   ──▶ release (if reserve pending/done) ──▶ CANCELLED(DEADLINE_EXCEEDED)
 *
 * Only a `declined` reply (or a command that could not even be built, `unsent`) proves a step
 * took no effect. A `failed` one (the receiver refused a
 * delivery: deadline passed before it started, bad command, a record it cannot read) says
 * nothing about an earlier delivery of the same key, whose reply may have been lost after its
 * effect committed: the step stays `pending` (may have taken effect) and is compensated.
 *
 * Compensations run in reverse order of the steps, are retried until they succeed and are
 * idempotent at the receiver (a compensation that arrives before its step leaves a tombstone
 * there, so the step can never take effect afterwards).
 */
import type { EffectAction } from '@seamline/contracts';
import type { CancelReason, HistoryEntry, Saga, StepState } from './saga-state.ts';
import { isTerminal } from './saga-state.ts';

export interface NewOrder {
  readonly orderId: string;
  readonly customerId: string;
  readonly items: Saga['items'];
  readonly currency: 'USD';
  readonly deadline: number;
}

/** What the machine asks the orchestrator to do after persisting the returned saga. */
export interface Transition {
  readonly saga: Saga;
  /** The command to send once the saga is persisted, if any. */
  readonly send: EffectAction | null;
}

/** The outcome of one effect as the orchestrator learned it from a reply. */
export type EffectOutcome =
  | { readonly kind: 'applied' }
  | { readonly kind: 'declined'; readonly reason: string }
  /**
   * The receiver refused this delivery for good (bad request, deadline passed before it
   * started). Not proof that the effect never happened: an earlier delivery may have applied it.
   */
  | { readonly kind: 'failed'; readonly code: string }
  /**
   * The orchestrator could not even build the command (it breaks the bus contract), so no
   * delivery of it ever existed: provably not applied. A compensation in this state cannot run.
   */
  | { readonly kind: 'unsent'; readonly code: string };

export function startSaga(order: NewOrder, now: number): Transition {
  const totalCents = order.items.reduce((sum, i) => sum + i.qty * i.unitPriceCents, 0);
  const saga: Saga = {
    ...order,
    totalCents,
    createdAt: now,
    status: 'PENDING',
    reason: null,
    reserve: 'pending',
    charge: 'idle',
    outstanding: { action: 'reserve', sentAt: now, sends: 1 },
    compensations: [],
    history: [
      { at: now, event: 'accepted' },
      { at: now, event: 'reserve:sent' },
    ],
    finishedAt: null,
  };
  return { saga, send: 'reserve' };
}

/** Applies a reply. A reply for anything but the outstanding command is stale and changes nothing. */
export function onReply(
  saga: Saga,
  action: EffectAction,
  outcome: EffectOutcome,
  now: number,
): Transition {
  if (saga.outstanding?.action !== action || isTerminal(saga.status)) return { saga, send: null };
  const detail =
    outcome.kind === 'applied'
      ? undefined
      : outcome.kind === 'declined'
        ? outcome.reason
        : outcome.code;
  // Nothing was ever sent, so the step took no effect; the reason is not the receiver's.
  const unsent = outcome.kind === 'unsent';
  const noted = note(saga, now, `${action}:${outcome.kind}`, detail);
  switch (action) {
    case 'reserve':
      if (outcome.kind === 'applied')
        return sendNext({ ...noted, reserve: 'done', charge: 'pending' }, 'charge', now);
      if (outcome.kind === 'declined' || unsent)
        return finish(
          { ...noted, reserve: 'declined' },
          'CANCELLED',
          unsent ? failReason(saga, now) : 'OUT_OF_STOCK',
          now,
        );
      // Outcome unknown: `reserve` stays pending, so compensate() queues its release.
      return compensate(noted, failReason(saga, now), now);
    case 'charge':
      if (outcome.kind === 'applied')
        return finish({ ...noted, charge: 'done' }, 'COMPLETED', null, now);
      if (outcome.kind === 'declined' || unsent)
        return compensate(
          { ...noted, charge: 'declined' },
          unsent ? failReason(saga, now) : 'PAYMENT_DECLINED',
          now,
        );
      // Outcome unknown: `charge` stays pending, so compensate() queues its refund first.
      return compensate(noted, failReason(saga, now), now);
    case 'release':
    case 'refund': {
      // A compensation is retried until it succeeds; a refusal is not a success. It stays
      // outstanding, so the re-drive resends it after the re-drive delay, as a retry under the
      // budget, and its sends keep counting towards "stuck" (a refusal answered by an immediate
      // fresh send would loop as fast as the receiver refuses, and never look stuck).
      if (outcome.kind === 'failed' || unsent) return { saga: noted, send: null };
      const undone: Partial<Saga> =
        action === 'release' ? { reserve: 'compensated' } : { charge: 'compensated' };
      return continueCompensating({ ...noted, ...undone }, now);
    }
  }
}

/** The saga deadline passed: undo whatever may have taken effect, newest first. */
export function onDeadline(saga: Saga, now: number): Transition {
  if (saga.status !== 'PENDING' || now < saga.deadline) return { saga, send: null };
  return compensate(note(saga, now, 'deadline-exceeded'), 'DEADLINE_EXCEEDED', now);
}

/**
 * Called by the re-drive loop: resends the outstanding command once `redriveAfterMs` passed since
 * it was last sent, or starts the next queued compensation. Receivers are idempotent, so a resend
 * of a command that already took effect only replays its result.
 */
export function onRedrive(saga: Saga, now: number, redriveAfterMs: number): Transition {
  if (isTerminal(saga.status)) return { saga, send: null };
  if (saga.status === 'PENDING' && now >= saga.deadline) return onDeadline(saga, now);
  const out = saga.outstanding;
  if (out === null) return continueCompensating(saga, now);
  if (now - out.sentAt < redriveAfterMs) return { saga, send: null };
  return {
    saga: {
      ...note(saga, now, `${out.action}:resent`),
      outstanding: { ...out, sentAt: now, sends: out.sends + 1 },
    },
    send: out.action,
  };
}

function compensate(saga: Saga, reason: CancelReason, now: number): Transition {
  const queue: EffectAction[] = [];
  if (mayHaveTakenEffect(saga.charge)) queue.push('refund');
  if (mayHaveTakenEffect(saga.reserve)) queue.push('release');
  return continueCompensating(
    { ...saga, status: 'COMPENSATING', reason, outstanding: null, compensations: queue },
    now,
  );
}

function continueCompensating(saga: Saga, now: number): Transition {
  const [next, ...rest] = saga.compensations;
  if (next === undefined)
    return finish(
      { ...saga, outstanding: null },
      'CANCELLED',
      saga.reason ?? 'DEADLINE_EXCEEDED',
      now,
    );
  return sendNext({ ...saga, compensations: rest }, next, now);
}

function sendNext(saga: Saga, action: EffectAction, now: number): Transition {
  return {
    saga: { ...note(saga, now, `${action}:sent`), outstanding: { action, sentAt: now, sends: 1 } },
    send: action,
  };
}

function finish(
  saga: Saga,
  status: 'COMPLETED' | 'CANCELLED',
  reason: CancelReason | null,
  now: number,
): Transition {
  return {
    saga: {
      ...note(saga, now, status.toLowerCase()),
      status,
      reason,
      outstanding: null,
      compensations: [],
      finishedAt: now,
    },
    send: null,
  };
}

function mayHaveTakenEffect(state: StepState): boolean {
  return state === 'pending' || state === 'done';
}

function failReason(saga: Saga, now: number): CancelReason {
  return now >= saga.deadline ? 'DEADLINE_EXCEEDED' : (saga.reason ?? 'DEADLINE_EXCEEDED');
}

const HISTORY_LIMIT = 50;

function note(saga: Saga, at: number, event: string, detail?: string): Saga {
  const entry: HistoryEntry = detail === undefined ? { at, event } : { at, event, detail };
  return { ...saga, history: [...saga.history, entry].slice(-HISTORY_LIMIT) };
}
