/**
 * The operator's way out for a saga the orchestrator cannot drive (pure, like the machine).
 *
 *   parked: a compensation cannot be built ──quarantine──▶ that compensation skipped
 *       ──▶ the compensations that can be built run as usual ──▶ CANCELLED
 *   parked: the record itself breaks the machine ──quarantine──▶ CANCELLED at once, nothing sent
 *
 * A compensation cannot be built when the order's own data breaks the bus contract (a total
 * beyond what a JSON number carries exactly). Its forward step then could not be built either,
 * and a receiver parses commands with the same contract, so the step can never have taken effect:
 * skipping its compensation loses nothing. The orchestrator never decides that alone (a
 * compensation that cannot be sent stays visibly stuck); an operator does, and the history says
 * so.
 */
import type { EffectAction } from '@seamline/contracts';
import type { HistoryEntry, Saga } from './saga-state.ts';

export interface SkippedCommand {
  readonly action: EffectAction;
  /** Why it cannot be built (the contract's complaint). */
  readonly why: string;
}

/**
 * Drops `skipped` from the outstanding command and the compensation queue, noting each in the
 * history with the operator's `note`. The caller re-drives the result through the machine
 * (`onRedrive`), which starts the next compensation or finishes the saga.
 */
export function skipCommands(
  saga: Saga,
  skipped: readonly SkippedCommand[],
  now: number,
  note: string,
): Saga {
  const skip = new Set(skipped.map((s) => s.action));
  const entries: HistoryEntry[] = skipped.map(({ action, why }) => ({
    at: now,
    event: `${action}:skipped`,
    detail: `quarantined by an operator (${note}): the command cannot be built: ${why}`,
  }));
  return {
    ...saga,
    outstanding:
      saga.outstanding !== null && skip.has(saga.outstanding.action) ? null : saga.outstanding,
    compensations: saga.compensations.filter((a) => !skip.has(a)),
    history: [...saga.history, ...entries].slice(-HISTORY_LIMIT),
  };
}

/**
 * Ends a saga whose record the machine cannot even read: CANCELLED as it stands, no command
 * sent. Whatever it had applied stays applied; the auditor reports it (an uncompensated effect),
 * and `leftApplied` names what the record said was still to undo.
 */
export function abandonRecord(
  orderId: string,
  saga: Saga,
  now: number,
  note: string,
): { saga: Saga; leftApplied: EffectAction[] } {
  const raw = saga as Partial<Saga>;
  const leftApplied = [
    ...(raw.outstanding?.action === undefined ? [] : [raw.outstanding.action]),
    ...(Array.isArray(raw.compensations) ? raw.compensations : []),
  ];
  const history = Array.isArray(raw.history) ? raw.history : [];
  return {
    leftApplied,
    saga: {
      ...saga,
      orderId,
      status: 'CANCELLED',
      reason: raw.reason ?? 'DEADLINE_EXCEEDED',
      outstanding: null,
      compensations: [],
      finishedAt: now,
      history: [
        ...history,
        {
          at: now,
          event: 'quarantined',
          detail: `by an operator (${note}): the record cannot be driven; not undone: ${leftApplied.join(', ') || 'nothing'}`,
        },
      ].slice(-HISTORY_LIMIT),
    },
  };
}

/** The machine's history bound (saga-machine.ts keeps the last 50 events too). */
const HISTORY_LIMIT = 50;
