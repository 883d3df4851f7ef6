/**
 * How a deadline crosses from one host to the next: as the time left, never as an instant of the
 * sender's clock (issue 9, hole 8; docs/adr/0014-deadlines-across-hosts.md).
 *
 *   sender, its clock               NATS, its clock                 receiver, its clock
 *   budget = deadline - now  ─pub─► stamps storedAt (once;   ─────► deadline = now - inStream + budget
 *   Seamline-Budget-Ms              redeliveries keep it)           inStream = now - offset - storedAt
 *   (+ Seamline-Deadline as is,                                     offset: this clock - the server's,
 *    for receivers before it)                                       measured (server-clock.ts)
 *
 * Every difference is taken on one clock: the budget on the sender's, the time in the stream on
 * the server's (converted with the measured offset). The receiver's deadline is never later than
 * `arrival + budget`, so each hop has strictly less time than its caller once the reply reserve
 * is taken off. A message without the budget header (a sender from before it, in flight during an
 * upgrade) keeps the old meaning: its absolute deadline, on the receiver's clock.
 */
import type { CommandMeta } from './bus-headers.ts';
import type { BusLogger } from './bus-hooks.ts';
import type { ServerClock } from './server-clock.ts';

/** What a sender writes in `Seamline-Budget-Ms`: the whole milliseconds left before `deadline`. */
export function budgetFor(deadline: number, now: number): number {
  return Math.max(0, Math.floor(deadline - now));
}

export type Arrival = {
  /** `Seamline-Budget-Ms`; undefined when the sender predates it. */
  readonly budgetMs: number | undefined;
  /** `Seamline-Deadline`: an instant of the sender's clock. */
  readonly deadline: number;
  /** When the NATS server stored the message, on its clock (ms). */
  readonly storedAt: number;
  /** This clock minus the server's (`ServerClock.offset`); undefined when nothing was measured. */
  readonly offset: number | undefined;
  /** This clock, now. */
  readonly now: number;
};

/** The caller's deadline on this host's clock. */
export function arrivalDeadline(a: Arrival): number {
  if (a.budgetMs === undefined) return a.deadline;
  // Unmeasured offset: the time in the stream is unknown and counted as none (see the ADR).
  const inStream = a.offset === undefined ? 0 : Math.max(0, a.now - a.offset - a.storedAt);
  // Whole milliseconds, rounded towards less time: the stamp has sub-millisecond precision.
  return Math.floor(a.now - inStream + a.budgetMs);
}

export type HopDeadlineOptions = {
  readonly serverClock: ServerClock;
  readonly clock: () => number;
  /** A sender whose clock differs from this one by more than this is logged (once a minute). */
  readonly skewWarnMs: number;
  readonly logger?: BusLogger;
};

/** Deadlines of arriving commands, learning this host's offset to the server from each one. */
export class HopDeadlines {
  readonly #o: HopDeadlineOptions;
  #warnedAt = Number.NEGATIVE_INFINITY;

  constructor(options: HopDeadlineOptions) {
    this.#o = options;
  }

  /** The deadline of a command stored at `storedAt` (server clock), on this host's clock. */
  of(meta: CommandMeta, storedAt: number): number {
    const now = this.#o.clock();
    this.#o.serverClock.observe(storedAt, now);
    const deadline = arrivalDeadline({
      budgetMs: meta.budgetMs,
      deadline: meta.deadline,
      storedAt,
      offset: this.#o.serverClock.offset(now),
      now,
    });
    if (meta.budgetMs !== undefined) this.#checkSkew(meta, meta.deadline - deadline, now);
    return deadline;
  }

  /**
   * Both deadline headers name the same instant, one on the sender's clock and one (through the
   * budget) on ours: their difference measures the skew between the two hosts. It changes no
   * decision; an operator should still hear of it, since other parts (saga deadlines persisted by
   * one order replica and enforced by the next) do compare instants.
   */
  #checkSkew(meta: CommandMeta, skewMs: number, now: number): void {
    if (Math.abs(skewMs) <= this.#o.skewWarnMs || now - this.#warnedAt < 60_000) return;
    this.#warnedAt = now;
    this.#o.logger?.warn(
      {
        sagaId: meta.sagaId,
        step: meta.step,
        sender: meta.replyTo,
        skewMs: Math.round(skewMs),
        skewWarnMs: this.#o.skewWarnMs,
      },
      'sender clock differs from this one; the deadline travels as a budget and is unaffected',
    );
  }
}
