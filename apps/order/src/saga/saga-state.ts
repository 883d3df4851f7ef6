import type { EffectAction, LineItem } from '@seamline/contracts';

/** Order status as clients see it: PENDING and COMPENSATING are not terminal. */
export type OrderStatus = 'PENDING' | 'COMPENSATING' | 'COMPLETED' | 'CANCELLED';
export type CancelReason = 'OUT_OF_STOCK' | 'PAYMENT_DECLINED' | 'DEADLINE_EXCEEDED';

/**
 * Where one forward step stands. `pending` is the semantic lock: the command was persisted as
 * sent and may or may not have taken effect; only a reply (or its compensation) resolves it.
 */
export type StepState = 'idle' | 'pending' | 'done' | 'declined' | 'compensated';

export interface OutstandingCommand {
  readonly action: EffectAction;
  /** When the command was last (re)sent, epoch ms. */
  readonly sentAt: number;
  /** How many times the orchestrator has sent it. */
  readonly sends: number;
}

export interface HistoryEntry {
  readonly at: number;
  readonly event: string;
  readonly detail?: string;
}

/** The persisted saga of one order (the order record itself; one fenced writer: the leader). */
export interface Saga {
  readonly orderId: string;
  readonly customerId: string;
  readonly items: readonly (LineItem & { readonly unitPriceCents: number })[];
  readonly totalCents: number;
  readonly currency: 'USD';
  readonly createdAt: number;
  /** Absolute saga deadline, epoch ms; past it the saga is compensated. */
  readonly deadline: number;
  readonly status: OrderStatus;
  readonly reason: CancelReason | null;
  readonly reserve: StepState;
  readonly charge: StepState;
  readonly outstanding: OutstandingCommand | null;
  /** Compensations still to run after the outstanding one, in order. */
  readonly compensations: readonly EffectAction[];
  readonly history: readonly HistoryEntry[];
  readonly finishedAt: number | null;
}

/**
 * How a status may change, as the saga machine moves it: forward only. A client that saw one
 * status must never read an earlier one afterwards (checked against recorded reads by
 * `checkMonotonicReads` of @seamline/history-check).
 */
export const STATUS_PROGRESS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  PENDING: ['COMPENSATING', 'COMPLETED', 'CANCELLED'],
  COMPENSATING: ['CANCELLED'],
  COMPLETED: [],
  CANCELLED: [],
};

export function isTerminal(status: OrderStatus): boolean {
  return status === 'COMPLETED' || status === 'CANCELLED';
}

/**
 * How many times the orchestrator sent each action of `saga` (first sends, re-sends and the
 * re-queued sends of a refused compensation alike), in the order the actions were first sent:
 * the orchestrator layer of the saga's attempts per effect. Read from the history, which keeps
 * the last 50 events, so a saga with more only under-counts its oldest actions; the outstanding
 * action is never counted below its `sends`.
 */
export function sendsPerAction(saga: Saga): Map<EffectAction, number> {
  const sends = new Map<EffectAction, number>();
  for (const { event } of saga.history) {
    const [action, what] = event.split(':');
    if (what === 'sent' || what === 'resent') {
      const a = action as EffectAction;
      sends.set(a, (sends.get(a) ?? 0) + 1);
    }
  }
  const out = saga.outstanding;
  if (out !== null) sends.set(out.action, Math.max(sends.get(out.action) ?? 0, out.sends));
  return sends;
}
