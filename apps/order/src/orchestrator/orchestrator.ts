/**
 * The saga orchestrator: I/O around the pure machine in ../saga. Only the elected leader runs
 * it. On election it installs its fencing token, reloads every open saga with a quorum read
 * and drives them on; afterwards each transition is persisted (fenced) before its command is
 * sent, replies are acked only after the transition they cause is persisted, and a ticker
 * re-drives outstanding commands and enforces deadlines. A fencing rejection stops it at once.
 */
import type { BusClient, BusReplyMessage, ReplySubscription } from '@seamline/bus';
import type { EffectAction } from '@seamline/contracts';
import { effectKey, parseEffectKey, PATTERNS } from '@seamline/contracts';
import type { Logger, SeamlineMetrics } from '@seamline/observability';
import { FencedError, IndeterminateWriteError } from '@seamline/quorum-store';
import type { Backoff, RetryBudgets } from '@seamline/retry-budget';
import { ZodError } from 'zod';
import type { EffectOutcome, NewOrder, Transition } from '../saga/saga-machine.ts';
import { onRedrive, onReply, startSaga } from '../saga/saga-machine.ts';
import type { Saga } from '../saga/saga-state.ts';
import { isTerminal, sendsPerAction } from '../saga/saga-state.ts';
import type { SkippedCommand } from '../saga/saga-quarantine.ts';
import { abandonRecord, skipCommands } from '../saga/saga-quarantine.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import { ResendTimer } from './resend-timer.ts';
import type { OrderRecords, StoredResponse } from './order-records.ts';
import { ORDER_DOMAIN } from './order-records.ts';
import type { SagaCommand } from './saga-commands.ts';
import { commandFor } from './saga-commands.ts';

export interface OrchestratorOptions {
  /**
   * Resend an outstanding command after at least this long without a reply; the wait grows with
   * the observed reply time of its downstream (see ResendTimer). @default 2000
   */
  readonly redriveAfterMs: number;
  /** The longest wait before a resend, however slow the replies. @default 10000 */
  readonly redriveCeilingMs: number;
  /** Re-drive and deadline check interval. @default 200 */
  readonly tickMs: number;
  /**
   * Deadline each compensation send carries. A compensation is always wanted, so this only has
   * to outlast any backlog in front of the receiver: one that expired in the queue is refused,
   * and every copy behind it too. @default 600000 (10 min)
   */
  readonly compensationDeadlineMs: number;
  /** A compensation sent this many times without success counts as stuck. @default 10 */
  readonly stuckAfterSends: number;
  /**
   * Sagas one tick drives at once. One at a time, a pass over N due sagas takes N store round
   * trips, and the loop itself (not the budget) caps retries and delays deadlines. @default 16
   */
  readonly redriveConcurrency: number;
  /**
   * Re-drives withdraw from the shared retry budget of their downstream and are shed (left
   * pending, retried later with backoff) when it is empty. Off only to show amplification.
   * @default true
   */
  readonly retryBudget: boolean;
  /**
   * How often the leader rescans the store for open sagas it does not drive (partial writes of
   * a dead or fenced predecessor that the takeover reload missed, spread by repair). @default 5000
   */
  readonly orphanSweepMs: number;
}

export const DEFAULT_ORCHESTRATOR_OPTIONS: OrchestratorOptions = {
  redriveAfterMs: 2000,
  redriveCeilingMs: 10_000,
  tickMs: 200,
  compensationDeadlineMs: 600_000,
  stuckAfterSends: 10,
  redriveConcurrency: 16,
  retryBudget: true,
  orphanSweepMs: 5000,
};

export interface OrchestratorDeps {
  readonly records: OrderRecords;
  readonly bus: BusClient;
  readonly metrics: SeamlineMetrics;
  readonly log: Logger;
  readonly clock: () => number;
  /** Called when a write was fenced: this process must stop leading. */
  readonly onFenced: (err: FencedError) => void;
  /** One budget per downstream, shared by every caller in this process. */
  readonly budgets: RetryBudgets;
  /** Full-jitter backoff added to the re-drive delay after a shed retry. */
  readonly backoff: Backoff;
  /**
   * Called synchronously after a write was decided under `token` and right before it is sent:
   * the window in which a paused leader is dangerous. Only the chaos scenarios hook it.
   */
  readonly beforeWrite?: (write: FencedWriteIntent) => void;
}

/** The orchestrator layer of one effect's attempts: sends of one action of an open saga. */
export interface ActionSends {
  readonly action: EffectAction;
  /** The effect idempotency key the receiver counts its arrivals under. */
  readonly key: string;
  readonly sends: number;
}

/** A fenced write the orchestrator is about to send. */
export interface FencedWriteIntent {
  readonly kind: 'create' | 'transition';
  readonly sagaId: string;
  readonly token: number;
}

export class NotLeaderError extends Error {
  readonly code = 'NOT_LEADER' as const;
  constructor() {
    super('this order replica is not the leader');
  }
}

/**
 * Why the orchestrator stopped driving an open saga until an operator acts.
 * `BAD_COMMAND`: a compensation's command cannot be built from the record (it breaks the bus
 * contract); `BAD_RECORD`: the saga machine itself fails on the record.
 */
export interface ParkedSaga {
  readonly code: 'BAD_COMMAND' | 'BAD_RECORD';
  /** The action that cannot be built (BAD_COMMAND). */
  readonly action: EffectAction | null;
  readonly detail: string;
  /** Epoch ms. */
  readonly since: number;
}

/** What quarantining a parked saga did. */
export interface QuarantineResult {
  readonly orderId: string;
  /** Commands dropped because they cannot be built, with the contract's complaint. */
  readonly skipped: readonly SkippedCommand[];
  /** For a record the machine cannot read: effects it still listed as to undo, left applied. */
  readonly leftApplied: readonly EffectAction[];
  /** The saga as persisted after the quarantine (it goes on compensating, or is CANCELLED). */
  readonly saga: Saga;
}

/** Quarantine refused: the saga is unknown here, or the orchestrator can still drive it. */
export class QuarantineRefusedError extends Error {
  readonly retryable = false;
  constructor(
    readonly code: 'NOT_FOUND' | 'NOT_PARKED',
    message: string,
  ) {
    super(message);
  }
}

export class Orchestrator {
  private readonly open = new Map<string, Saga>();
  /** Bumped by every takeover and abdication: a takeover that is no longer the latest stops. */
  private term = 0;
  /** Long-polls waiting for a saga this leader drives to finish (see `settled`). */
  private readonly waiters = new Map<string, ((saga: Saga | undefined) => void)[]>();
  /** Per saga: no re-drive before this time (set when a retry was shed). */
  private readonly notBefore = new Map<string, { at: number; sheds: number }>();
  /**
   * Open sagas not driven until an operator quarantines them: re-driving would only rewrite the
   * same failure every tick. They count as stuck and are listed with the reason.
   */
  private readonly parked = new Map<string, ParkedSaga>();
  private readonly locks = new KeyedMutex();
  private token: number | undefined;
  private replies: ReplySubscription | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private ticking = false;
  private readonly o: OrchestratorOptions;
  private readonly resends: ResendTimer;

  constructor(
    private readonly deps: OrchestratorDeps,
    options: Partial<OrchestratorOptions> = {},
  ) {
    this.o = { ...DEFAULT_ORCHESTRATOR_OPTIONS, ...options };
    this.resends = new ResendTimer({
      floorMs: this.o.redriveAfterMs,
      ceilingMs: Math.max(this.o.redriveAfterMs, this.o.redriveCeilingMs),
    });
    deps.metrics.effectAttempts.zero({ layer: 'orchestrator' });
  }

  get leading(): boolean {
    return this.token !== undefined;
  }

  get currentToken(): number | undefined {
    return this.token;
  }

  /** Sagas this leader drives that are not terminal yet (0 on a follower). */
  get openCount(): number {
    return this.open.size;
  }

  /**
   * Takes over as leader, elected with `elected`: claim a fence first (its token, never below an
   * installed one, is what every write carries), then reload every open saga through that fence
   * and drive them on.
   */
  async lead(
    elected: number,
    store: { claimFence(domain: string, proposed: number): Promise<{ token: number }> },
  ): Promise<void> {
    // A lease lost while this takeover awaits (the fence, the reload, the consumer) abdicates
    // before `token` is set; without this check the takeover would then finish and lead on with
    // no lease: a second leader until one of its writes is fenced.
    const term = ++this.term;
    const superseded = (): boolean => term !== this.term;
    const { token } = await store.claimFence(ORDER_DOMAIN, elected);
    // Only replicas holding the fence answer: a read of the fastest R could miss a write of the
    // predecessor that lands on an unfenced replica later and still collects W acks.
    const sagas = await this.deps.records.loadOpen(token);
    if (superseded()) {
      this.deps.log.warn({ token, elected }, 'leadership ended during the takeover; not leading');
      return;
    }
    this.token = token;
    for (const saga of sagas) this.open.set(saga.orderId, saga);
    this.deps.log.info(
      { token, elected, reloaded: sagas.length },
      'leading: fence installed, open sagas reloaded',
    );
    const replies = await this.deps.bus.consumeReplies('order', (m) => this.handleReply(m));
    if (superseded()) {
      await replies.stop().catch(() => {});
      return;
    }
    this.replies = replies;
    this.ticker = setInterval(() => void this.tick(), this.o.tickMs);
    this.sweeper = setInterval(() => void this.sweep(), this.o.orphanSweepMs);
    // A predecessor may have died between persisting and sending: resend everything outstanding,
    // with the re-drive's bounded concurrency (thousands of open sagas written at once would queue
    // on the replicas' pools, time out and turn a takeover under load into churn). A failure here
    // (fenced, store unavailable) must not escape as an unhandled rejection and take the process
    // down: the saga stays open and the ticker re-drives it.
    void this.eachBounded(
      sagas.map((s) => s.orderId),
      (id) =>
        this.drive(id, (s) => onRedrive(s, this.deps.clock(), 0)).catch((err: unknown) =>
          this.deps.log.warn(
            { sagaId: id, err: String(err) },
            'takeover re-drive failed; will retry',
          ),
        ),
    );
    this.updateGauges();
  }

  /** Stops leading at once: no further writes or sends from this process. */
  async abdicate(reason: string): Promise<void> {
    this.term += 1; // also ends a takeover still in progress (see `lead`)
    if (this.token === undefined) return;
    const token = this.token;
    this.token = undefined;
    clearInterval(this.ticker);
    this.ticker = undefined;
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    const replies = this.replies;
    this.replies = undefined;
    this.open.clear();
    this.notBefore.clear();
    this.parked.clear();
    this.deps.log.warn({ token, reason }, 'stopped leading');
    await replies?.stop().catch(() => {});
    this.updateGauges();
  }

  /**
   * Accepts a new order (leader only): persists the order and the response its Idempotency-Key
   * will replay in one write, then sends the first command.
   *
   * `existing`: the order's record as a quorum read found it without its response row. An order
   * this leader already drives (a retry after an indeterminate create) or one found in the
   * store is persisted as it stands, never started over.
   */
  async place(
    order: NewOrder,
    idempotencyKey: string,
    respond: (saga: Saga) => StoredResponse,
    existing?: Saga,
  ): Promise<{ saga: Saga; response: StoredResponse }> {
    const token = this.requireToken();
    return this.locks.run(order.orderId, async () => {
      const known = this.open.get(order.orderId) ?? existing;
      const t: Transition =
        known === undefined ? startSaga(order, this.deps.clock()) : { saga: known, send: null };
      const response = respond(t.saga);
      try {
        await this.guard({ kind: 'create', sagaId: order.orderId, token }, () =>
          this.deps.records.create(t.saga, idempotencyKey, response, token),
        );
      } catch (err) {
        // Fewer than W acks, but maybe some: a replica may hold this order now, and a retry of
        // the key may replay it. Drive it like any open saga, so it is persisted again by its
        // re-drive (or cancelled at its deadline) instead of lying there with no leader.
        if (err instanceof IndeterminateWriteError && this.token === token) this.keepOpen(t.saga);
        throw err;
      }
      this.keepOpen(t.saga);
      // The order is persisted and answered; a failure to persist what its first send led to
      // (a command that cannot be built) is the re-drive's to finish, not the client's to retry.
      await this.send(t, token).catch((err: unknown) =>
        this.deps.log.warn(
          { sagaId: order.orderId, err: String(err) },
          'first send did not complete; re-drive will finish it',
        ),
      );
      return { saga: t.saga, response };
    });
  }

  /**
   * Makes sure a saga found in the store is driven by this leader. A predecessor killed in the
   * middle of a create can leave the order on fewer than W replicas: the successor's reload may
   * miss it while a client's retry still finds its response; replaying that response without
   * driving the order would accept an order nobody finishes.
   */
  async adopt(orderId: string, seen?: Saga): Promise<boolean> {
    let adopted = false;
    await this.locks.run(orderId, async () => {
      if (this.token === undefined || this.open.has(orderId)) return;
      // Read again under the saga's lock: the leader is the record's only writer, so this quorum
      // read is current (a snapshot taken earlier may predate the saga's completion). A partial
      // create that the caller saw on one replica may be missing from this read's responders:
      // then the caller's copy is adopted, and persisting it below puts it on W replicas.
      const saga = (await this.deps.records.loadSaga(orderId, this.token)) ?? seen;
      if (saga === undefined || isTerminal(saga.status) || this.token === undefined) return;
      this.open.set(orderId, saga);
      adopted = true;
    });
    if (!adopted) return false;
    this.deps.log.warn({ sagaId: orderId }, 'adopted an open saga no leader was driving');
    // Persisted again under this leader's token (so on W replicas), outstanding command resent.
    await this.drive(orderId, (s) => onRedrive(s, this.deps.clock(), 0));
    return true;
  }

  /** Adopts every open saga in the store that this leader does not drive. */
  private async sweep(): Promise<void> {
    const token = this.token;
    if (token === undefined) return;
    try {
      for (const saga of await this.deps.records.loadOpen(token)) {
        if (this.token === undefined) return;
        if (!this.open.has(saga.orderId)) await this.adopt(saga.orderId);
      }
    } catch (err) {
      this.deps.log.warn({ err: String(err) }, 'orphan sweep failed; will retry');
    }
  }

  private keepOpen(saga: Saga): void {
    if (!isTerminal(saga.status)) this.open.set(saga.orderId, saga);
    this.deps.metrics.sagasInFlight.set(this.open.size);
  }

  private async handleReply(m: BusReplyMessage): Promise<void> {
    if (this.token === undefined) throw new NotLeaderError();
    const parsed = parseEffectKey(m.idempotencyKey);
    if (parsed === undefined) {
      this.deps.log.warn({ key: m.idempotencyKey }, 'reply with a foreign idempotency key ignored');
      return;
    }
    const out = this.open.get(parsed.sagaId)?.outstanding;
    // Karn's rule: only a reply to a command sent once times the downstream.
    if (out?.action === parsed.action && out.sends === 1)
      this.resends.observe(downstreamOf(out.action), this.deps.clock() - out.sentAt);
    const outcome = toOutcome(parsed.action, m);
    if (outcome === undefined) return; // retryable failure: the re-drive resends
    await this.drive(parsed.sagaId, (s) => onReply(s, parsed.action, outcome, this.deps.clock()));
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.token === undefined) return;
    this.ticking = true;
    try {
      const now = this.deps.clock();
      await this.eachBounded([...this.open.keys()], async (id) => {
        if (this.locks.isLocked(id)) return;
        // A saga whose last retry was shed waits out its backoff before the next resend; its
        // deadline and queued compensations are still handled on time.
        const backingOff = (this.notBefore.get(id)?.at ?? 0) > now;
        const action = this.open.get(id)?.outstanding?.action;
        const after = backingOff
          ? Number.POSITIVE_INFINITY
          : action === undefined
            ? this.o.redriveAfterMs
            : this.resends.waitMs(downstreamOf(action));
        await this.drive(id, (s) => onRedrive(s, now, after)).catch((err: unknown) =>
          this.deps.log.warn({ sagaId: id, err: String(err) }, 're-drive failed; will retry'),
        );
      });
      this.updateGauges();
    } finally {
      this.ticking = false;
    }
  }

  /** Runs `each` over `ids`, at most `redriveConcurrency` at a time, while this replica leads. */
  private async eachBounded(ids: string[], each: (id: string) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < ids.length && this.token !== undefined) await each(ids[next++]!);
    };
    await Promise.all(
      Array.from({ length: Math.min(this.o.redriveConcurrency, ids.length) }, worker),
    );
  }

  /**
   * A resend of an outstanding command is a retry: it must win a token from its downstream's
   * shared budget. A shed retry changes nothing persisted; the saga stays pending and is tried
   * again after a full-jitter backoff.
   */
  private budgeted(saga: Saga, t: Transition, now: number): Transition {
    const retried =
      t.send !== null &&
      saga.outstanding?.action === t.send &&
      t.saga.outstanding !== null &&
      t.saga.outstanding.sends > saga.outstanding.sends;
    if (!retried || t.send === null) return t;
    const downstream = downstreamOf(t.send);
    const ok = !this.o.retryBudget || this.deps.budgets.get(downstream).tryWithdraw();
    if (ok) {
      this.deps.metrics.retriesAttempted.inc({ downstream });
      this.notBefore.delete(saga.orderId);
      return t;
    }
    this.deps.metrics.retriesShed.inc({ downstream });
    const sheds = (this.notBefore.get(saga.orderId)?.sheds ?? 0) + 1;
    this.notBefore.set(saga.orderId, { at: now + this.deps.backoff.delayMs(sheds), sheds });
    return { saga, send: null };
  }

  /** Read-decide-persist-send for one saga, under its lock. */
  private async drive(sagaId: string, step: (saga: Saga) => Transition): Promise<void> {
    await this.locks.run(sagaId, async () => {
      const token = this.token;
      const saga = this.open.get(sagaId);
      if (token === undefined || saga === undefined || this.parked.has(sagaId)) return;
      let t: Transition;
      try {
        t = this.budgeted(saga, step(saga), this.deps.clock());
      } catch (err) {
        // The machine cannot read this record (written by an older schema, or damaged): retrying
        // cannot help, and silently logging it every tick is a saga stuck for ever.
        this.park(sagaId, { code: 'BAD_RECORD', action: null, detail: describeError(err) });
        return;
      }
      if (t.saga === saga) return;
      await this.commit(saga, t, token);
    });
  }

  /** Persists a transition decided from `saga`, then sends its command. Under the saga's lock. */
  private async commit(saga: Saga, t: Transition, token: number, depth = 0): Promise<void> {
    // From the new saga: a record the machine could not read may lack even its id.
    const sagaId = t.saga.orderId;
    await this.guard({ kind: 'transition', sagaId, token }, () =>
      this.deps.records.save(t.saga, token),
    );
    // `?? null`: a record the machine could not read may lack the field altogether.
    const before = saga.outstanding ?? null;
    if (before !== null && t.saga.outstanding?.action !== before.action) {
      this.deps.metrics.effectAttempts.observe({ layer: 'orchestrator' }, before.sends);
    }
    if (isTerminal(t.saga.status)) {
      this.open.delete(sagaId);
      this.notBefore.delete(sagaId);
      this.parked.delete(sagaId);
      this.deps.records.forget(sagaId);
      this.finished(t.saga);
    } else {
      this.open.set(sagaId, t.saga);
    }
    await this.send(t, token, depth);
  }

  /**
   * Sends the command of a persisted transition. One that cannot be built was never sent and
   * never will be (it is derived from order fields that do not change), so it must not leave
   * the saga waiting for a reply: it is fed back to the machine as a terminal failure of its
   * step, and a forward step goes on to compensation. A compensation that cannot be built is
   * retried by the machine until it succeeds, which here means never: the saga is parked, counted
   * as stuck and listed, until an operator quarantines it.
   */
  private async send(t: Transition, token: number, depth = 0): Promise<void> {
    if (t.send === null) return;
    const action = t.send;
    let cmd: SagaCommand;
    try {
      cmd = commandFor(t.saga, action, this.deps.clock(), this.o.compensationDeadlineMs);
    } catch (err) {
      const detail = describeError(err);
      this.deps.log.error(
        { sagaId: t.saga.orderId, action, err: detail },
        'command cannot be built from the order; taken as a terminal failure of its step',
      );
      // Never sent, so provably not applied (unlike a `failed` reply, which may hide an effect).
      const unsent = { kind: 'unsent', code: 'BAD_COMMAND' } as const;
      const next = onReply(t.saga, action, unsent, this.deps.clock());
      const forward = action === 'reserve' || action === 'charge';
      // At most two rounds: a forward step's failure, then the first compensation it queues.
      if (forward && depth === 0 && next.saga !== t.saga) {
        await this.commit(t.saga, next, token, depth + 1);
        return;
      }
      if (next.saga !== t.saga)
        await this.commit(t.saga, { ...next, send: null }, token, depth + 1);
      if (!isTerminal(next.saga.status))
        this.park(next.saga.orderId, { code: 'BAD_COMMAND', action, detail });
      return;
    }
    // Every first send is a request: it earns its downstream a fraction of a retry.
    if (cmd.headers.attempt === 1) this.deps.budgets.get(downstreamOf(action)).deposit();
    try {
      await this.deps.bus.send(cmd.service, cmd.action, cmd.payload, cmd.headers);
    } catch (err) {
      // Persisted as outstanding already: the re-drive loop sends it again.
      this.deps.log.warn(
        { sagaId: t.saga.orderId, action, err: String(err) },
        'send failed; re-drive will resend',
      );
    }
  }

  private park(sagaId: string, why: Omit<ParkedSaga, 'since'>): void {
    if (this.parked.has(sagaId)) return;
    this.parked.set(sagaId, { ...why, since: this.deps.clock() });
    this.deps.log.error(
      { sagaId, code: why.code, action: why.action, err: why.detail },
      'saga parked: it cannot be driven until an operator quarantines it (npm run sagas -- quarantine)',
    );
    this.updateGauges();
  }

  /**
   * The operator's way out for a parked saga (see saga-quarantine.ts): its compensations that
   * cannot be built are skipped and the rest run as usual; a record the machine cannot read is
   * CANCELLED as it stands. Sagas the orchestrator can still drive are refused: quarantine never
   * cuts short a compensation that would succeed.
   */
  async quarantine(orderId: string, note: string): Promise<QuarantineResult> {
    const token = this.requireToken();
    return this.locks.run(orderId, async () => {
      const saga = this.open.get(orderId);
      if (saga === undefined)
        throw new QuarantineRefusedError('NOT_FOUND', `this leader drives no open saga ${orderId}`);
      const parked = this.parked.get(orderId);
      if (parked === undefined)
        throw new QuarantineRefusedError(
          'NOT_PARKED',
          `saga ${orderId} is not parked: the orchestrator can still drive it`,
        );
      const now = this.deps.clock();
      let t: Transition;
      let skipped: SkippedCommand[] = [];
      let leftApplied: EffectAction[] = [];
      if (parked.code === 'BAD_RECORD') {
        const abandoned = abandonRecord(orderId, saga, now, note);
        leftApplied = abandoned.leftApplied;
        t = { saga: abandoned.saga, send: null };
      } else {
        const pending = [
          ...(saga.outstanding === null ? [] : [saga.outstanding.action]),
          ...saga.compensations,
        ];
        skipped = pending.flatMap((action) => {
          const why = this.unbuildable(saga, action);
          return why === undefined ? [] : [{ action, why }];
        });
        t = onRedrive(skipCommands(saga, skipped, now, note), now, 0);
      }
      this.parked.delete(orderId);
      this.deps.log.warn(
        { sagaId: orderId, code: parked.code, skipped, leftApplied, note },
        'saga quarantined by an operator',
      );
      await this.commit(saga, t, token);
      this.updateGauges();
      return { orderId, skipped, leftApplied, saga: this.open.get(orderId) ?? t.saga };
    });
  }

  /** Why the command of `action` cannot be built from `saga`, or undefined when it can. */
  private unbuildable(saga: Saga, action: EffectAction): string | undefined {
    try {
      commandFor(saga, action, this.deps.clock(), this.o.compensationDeadlineMs);
      return undefined;
    } catch (err) {
      return describeError(err);
    }
  }

  private async guard(intent: FencedWriteIntent, write: () => Promise<void>): Promise<void> {
    this.deps.beforeWrite?.(intent);
    try {
      await write();
    } catch (err) {
      if (err instanceof FencedError) {
        // Counted by the store's observer (seamline_fencing_rejections_total); logged here
        // once, with the saga, because only the orchestrator knows which saga it was writing.
        this.deps.log.error(
          {
            sagaId: intent.sagaId,
            write: intent.kind,
            staleToken: err.staleToken,
            installedToken: err.installedToken,
            // `replica` on every line already names this order replica.
            rejectedBy: err.replica,
            domain: err.domain,
          },
          "fencing rejected this leader's write; stepping down",
        );
        await this.abdicate('fenced');
        this.deps.onFenced(err);
      }
      throw err;
    }
  }

  /** Whether this replica leads and drives `orderId` (it is open here). */
  drives(orderId: string): boolean {
    return this.open.has(orderId);
  }

  /**
   * Resolves with the saga once this leader finishes it, or `undefined` after `timeoutMs`, at
   * once when this replica does not drive it (a follower, or already finished): the HTTP
   * long-poll waits here instead of re-reading the quorum while its order runs.
   */
  settled(orderId: string, timeoutMs: number): Promise<Saga | undefined> {
    if (!this.drives(orderId)) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiter = (saga: Saga | undefined): void => {
        clearTimeout(timer);
        const left = (this.waiters.get(orderId) ?? []).filter((w) => w !== waiter);
        if (left.length === 0) this.waiters.delete(orderId);
        else this.waiters.set(orderId, left);
        resolve(saga);
      };
      const timer = setTimeout(() => waiter(undefined), timeoutMs);
      this.waiters.set(orderId, [...(this.waiters.get(orderId) ?? []), waiter]);
    });
  }

  private finished(saga: Saga): void {
    for (const waiter of this.waiters.get(saga.orderId) ?? []) waiter(saga);
    const outcome = saga.status === 'COMPLETED' ? 'completed' : 'cancelled';
    this.deps.metrics.sagaOutcomes.inc({ outcome, reason: saga.reason ?? 'none' });
    const seconds = ((saga.finishedAt ?? this.deps.clock()) - saga.createdAt) / 1000;
    // A quarantined record may lack its creation time; the histogram refuses NaN by throwing.
    if (Number.isFinite(seconds)) this.deps.metrics.sagaDuration.observe(seconds);
  }

  private updateGauges(): void {
    this.deps.metrics.sagasStuck.set(this.stuckSagas().length);
    for (const b of this.deps.budgets.snapshot())
      this.deps.metrics.retryBudgetBalance.set({ downstream: b.downstream }, b.balance);
    this.deps.metrics.sagasInFlight.set(this.open.size);
  }

  private requireToken(): number {
    if (this.token === undefined) throw new NotLeaderError();
    return this.token;
  }

  /**
   * Sends per action of `orderId` while this replica leads and drives it; undefined otherwise
   * (a follower, or a saga already terminal).
   */
  sendsOf(orderId: string): ActionSends[] | undefined {
    const saga = this.open.get(orderId);
    if (saga === undefined) return undefined;
    return [...sendsPerAction(saga)].map(([action, sends]) => ({
      action,
      key: effectKey(orderId, action),
      sends,
    }));
  }

  /**
   * Open sagas whose compensation keeps failing, and parked ones (for the CLI and the
   * dashboard).
   */
  stuckSagas(): Saga[] {
    return [...this.open.values()].filter(
      (s) =>
        this.parked.has(s.orderId) ||
        (s.status === 'COMPENSATING' && (s.outstanding?.sends ?? 0) >= this.o.stuckAfterSends),
    );
  }

  /** Why a stuck saga is parked (see {@link ParkedSaga}); undefined while it is driven. */
  parkedReason(orderId: string): ParkedSaga | undefined {
    return this.parked.get(orderId);
  }
}

/** Forward steps and compensations have budgets of their own: compensations must get through. */
function downstreamOf(action: EffectAction): string {
  const service = PATTERNS[action].service;
  return action === 'release' || action === 'refund' ? `${service}-compensation` : service;
}

function describeError(err: unknown): string {
  if (err instanceof ZodError)
    return err.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ');
  return err instanceof Error ? err.message : String(err);
}

function toOutcome(action: EffectAction, m: BusReplyMessage): EffectOutcome | undefined {
  if (!m.reply.ok) return m.reply.retryable ? undefined : { kind: 'failed', code: m.reply.code };
  const parsed = PATTERNS[action].result.safeParse(m.reply.result);
  if (!parsed.success) return { kind: 'failed', code: 'MALFORMED_RESULT' };
  const r = parsed.data as { outcome: string; reason?: string };
  return r.outcome === 'declined'
    ? { kind: 'declined', reason: r.reason ?? 'declined' }
    : { kind: 'applied' };
}
