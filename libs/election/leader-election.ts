import type { NatsConnection } from '@nats-io/transport-node';
import {
  LeaseCandidate,
  type Correction,
  type LeaseAction,
  type LossReason,
} from './lease-candidate.ts';
import {
  isCasConflict,
  openElectionBucket,
  type ElectionBucketOptions,
  type LeaseKv,
  type LeaseKvEntry,
  type LeaseKvWatch,
} from './lease-kv.ts';
import { decodeLeaseRecord, encodeLeaseRecord, tokenOf, type LeaseRecord } from './lease-record.ts';
import { InvalidElectionOptionError, leaseTiming } from './lease-timing.ts';

/**
 * Metric hooks, wired by the observability lib to `seamline_leader_changes_total` and
 * `seamline_leader_term`. Hooks must not throw (a throwing hook is reported to onError).
 */
export interface ElectionObserver {
  /** This process saw a new term start (any holder, this one included). */
  onLeaderChange?(name: string, change: { holder: string; term: number; token: number }): void;
  onElected?(name: string, token: number, term: number): void;
  onLost?(name: string, reason: LossReason | 'stopped'): void;
}

/** Timer source; tests inject one they can freeze to simulate a paused process. */
export interface ElectionTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Options of {@link LeaderElection}; validated once in the constructor. */
export interface LeaderElectionOptions {
  /** The bucket to campaign in. Give this or `nats`. */
  kv?: LeaseKv;
  /** A connection to open the election bucket on (see `bucket`). Give this or `kv`. */
  nats?: NatsConnection;
  /** Used with `nats`. @default { bucket: 'seamline-election', replicas: 3 } */
  bucket?: ElectionBucketOptions;
  /** Election name = the KV key, e.g. 'order-leader'. */
  name: string;
  /** Unique per process: two processes sharing an id would take each other's renewals as their own. */
  candidateId: string;
  /** @default 3_000 (see LeaseTiming.leaseMs) */
  leaseMs?: number;
  /** @default 1_000 */
  renewEveryMs?: number;
  /** @default 500 */
  safetyMarginMs?: number;
  /** Injected clock, ms; only durations matter. @default performance.now */
  clock?: () => number;
  /** @default the global setTimeout/clearTimeout */
  timers?: ElectionTimers;
  /** Called when this process becomes leader; fence every write with `token`. */
  onElected?(token: number, term: number): void;
  /** Called as soon as this process stops being leader; stop writing at once. */
  onLost?(reason: LossReason | 'stopped'): void;
  /** I/O failures that the election absorbs (for logs). @default ignore */
  onError?(err: unknown): void;
  observer?: ElectionObserver;
}

/**
 * Reported (onError) when a refused campaign shows that the candidate's watch had reported a
 * revision the stream leader does not hold: a replica of the bucket's stream diverged. The
 * election recovers by itself (it waits the leader's entry out); the report makes it visible.
 */
export class DivergedViewError extends Error {
  readonly code = 'ELECTION_VIEW_DIVERGED' as const;
  readonly retryable = true as const;
  readonly key: string;
  readonly believedRevision: number;
  readonly leaderRevision: number | null;

  constructor(key: string, correction: Correction) {
    super(
      `the watch of ${key} reported revision ${correction.believed}, the stream leader holds ` +
        `${correction.leader ?? 'no entry'}: a replica diverged; waiting the leader's entry out`,
    );
    this.name = 'DivergedViewError';
    this.key = key;
    this.believedRevision = correction.believed;
    this.leaderRevision = correction.leader;
  }
}

/** Where a candidate stands once it knows: see {@link LeaderElection.settled}. */
export type Standing = 'leader' | 'standby';

const globalTimers: ElectionTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Leader election on a NATS KV key with fencing tokens. Campaigning is watch-driven: a
 * vacated key is taken at once and an abandoned one exactly `leaseMs` after its last change
 * was seen, never on a slow poll. The protocol itself lives in LeaseCandidate.
 */
export class LeaderElection {
  readonly name: string;
  readonly candidateId: string;
  private readonly options: LeaderElectionOptions;
  private readonly core: LeaseCandidate;
  private readonly clock: () => number;
  private readonly timers: ElectionTimers;
  private kv: LeaseKv | null;
  private watcher: LeaseKvWatch | null = null;
  private timer: unknown = null;
  private running = false;
  private writing: Promise<void> | null = null;
  /** The term last reported to the observer. */
  private lastTerm: { holder: string; token: number } | null = null;
  /** Revision of the first entry this candidate saw (0: the key was vacant). */
  private baseline: number | null = null;
  private confirming = false;
  private lastWriteError: string | null = null;
  private standingKnown = false;
  private settle!: (standing: Standing) => void;
  private readonly standing: Promise<Standing>;

  constructor(options: LeaderElectionOptions) {
    if (options.kv === undefined && options.nats === undefined) {
      throw new InvalidElectionOptionError('kv', 'given (or nats)', undefined);
    }
    if (!/^[-/_=.a-zA-Z0-9]+$/.test(options.name)) {
      throw new InvalidElectionOptionError('name', 'a valid KV key', options.name);
    }
    if (options.candidateId.length === 0) {
      throw new InvalidElectionOptionError('candidateId', 'non-empty', options.candidateId);
    }
    const timing = leaseTiming({
      ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
      ...(options.renewEveryMs === undefined ? {} : { renewEveryMs: options.renewEveryMs }),
      ...(options.safetyMarginMs === undefined ? {} : { safetyMarginMs: options.safetyMarginMs }),
    });
    this.options = options;
    this.name = options.name;
    this.candidateId = options.candidateId;
    this.core = new LeaseCandidate(options.candidateId, timing);
    this.clock = options.clock ?? (() => performance.now());
    this.timers = options.timers ?? globalTimers;
    this.kv = options.kv ?? null;
    this.standing = new Promise<Standing>((resolve) => {
      this.settle = (standing) => {
        this.standingKnown = true;
        resolve(standing);
      };
    });
  }

  /**
   * Resolves once this candidate knows where it stands: it was elected (`leader`), or the
   * stream leader confirmed that another holder wrote the lease after this candidate joined
   * (`standby`: the holder is alive, waiting is right). A candidate in neither state (an entry it cannot take over, a bucket that does not
   * answer) stays pending: the caller bounds the wait and says where it stands instead.
   */
  settled(): Promise<Standing> {
    return this.standing;
  }

  /** Where the campaign is, for a start-up that gives up waiting on {@link settled}. */
  describe(): string {
    const { observed, held, writing } = this.core.view();
    if (held !== null) return `leading with token ${held.token}`;
    const where =
      observed === null
        ? `no entry of ${this.name} read yet`
        : `${this.name} held by ${observed.record?.holder ?? 'nobody (deleted)'} at revision ` +
          `${observed.revision}, unchanged for ${Math.round(this.clock() - observed.seenAt)} ms`;
    return (
      where +
      (writing ? '; a campaign write in flight' : '') +
      (this.lastWriteError === null ? '' : `; last campaign write failed: ${this.lastWriteError}`)
    );
  }

  /** Joins the election: reads the key, watches it, and campaigns. */
  async start(): Promise<void> {
    if (this.running) return;
    if (this.kv === null) {
      this.kv = await openElectionBucket(this.options.nats as NatsConnection, this.options.bucket);
    }
    this.running = true;
    try {
      await this.refresh();
      await this.startWatch();
    } catch (err) {
      this.running = false;
      throw err;
    }
    this.tick();
  }

  /** Leaves the election; a leader steps down and frees the key so a successor takes it at once. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.clearTimer();
    this.watcher?.stop();
    this.watcher = null;
    // Let an in-flight renewal settle so the delete names the latest revision, but never
    // wait on a hung write longer than a lease.
    if (this.writing !== null) {
      let handle: unknown;
      const cap = new Promise<void>((resolve) => {
        handle = this.timers.setTimeout(resolve, this.core.timing.leaseMs);
      });
      await Promise.race([this.writing, cap]);
      this.timers.clearTimeout(handle);
    }
    const held = this.core.stepDown();
    if (held === null) return;
    this.emitLost('stopped');
    await this.kv?.delete(this.name, { previousSeq: held.revision }).catch((err: unknown) => {
      this.report(err); // the lease will simply expire
    });
  }

  /** True while this process may act as leader, judged on its own clock right now. */
  isLeader(): boolean {
    return this.core.isLeader(this.clock());
  }

  /** The fencing token of the current term, or null when not leading. */
  currentToken(): number | null {
    return this.core.token(this.clock());
  }

  private tick(): void {
    if (!this.running) return;
    this.clearTimer();
    const now = this.clock();
    const expired = this.core.checkExpiry(now);
    if (expired !== null) this.emitLost(expired);
    let action = this.core.decide(now);
    if (action.kind === 'create' || action.kind === 'update') {
      this.writing = this.write(action).finally(() => {
        this.writing = null;
        this.tick();
      });
      action = this.core.decide(now);
    }
    // While a write hangs, still wake when a held belief ends so onLost fires on time.
    if ((action.kind === 'wait' || action.kind === 'busy') && action.until !== null) {
      const until = action.until;
      this.timer = this.timers.setTimeout(() => this.tick(), Math.max(0, until - now));
    }
  }

  private async write(action: Exclude<LeaseAction, { kind: 'wait' | 'busy' }>): Promise<void> {
    const kv = this.kv as LeaseKv;
    const data = encodeLeaseRecord(action.record);
    try {
      const revision =
        action.kind === 'create'
          ? await kv.create(this.name, data)
          : await kv.update(this.name, data, action.expectedRevision);
      const outcome = this.core.writeSucceeded(revision, this.clock());
      if (outcome.kind !== 'elected') return;
      if (!this.running) {
        // Won after stop(): hand the key straight back.
        this.core.stepDown();
        await kv.delete(this.name, { previousSeq: revision }).catch((e: unknown) => this.report(e));
        return;
      }
      this.noteTerm(action.record.holder, outcome.term, outcome.token);
      this.settle('leader');
      this.call(() => this.options.onElected?.(outcome.token, outcome.term));
      this.call(() => this.options.observer?.onElected?.(this.name, outcome.token, outcome.term));
    } catch (err) {
      const conflict = isCasConflict(err);
      this.lastWriteError = String((err as Error | null)?.message ?? err);
      if (!conflict) this.report(err);
      const lost = this.core.writeFailed(this.clock(), conflict);
      if (lost !== null) this.emitLost(lost);
      // A refused campaign means our view is wrong (stale, or from a replica that diverged):
      // the stream leader's answer replaces it, and the watch alone would not fix it.
      else if (conflict) await this.reread();
    }
  }

  private async refresh(): Promise<void> {
    try {
      const entry = await (this.kv as LeaseKv).get(this.name);
      if (entry !== null) this.handleEntry(entry);
      else this.baseline ??= 0;
    } catch (err) {
      this.report(err);
    }
  }

  private renewedByOther(entry: LeaseKvEntry, record: LeaseRecord | null): boolean {
    return (
      this.baseline !== null &&
      entry.revision > this.baseline &&
      record !== null &&
      record.holder !== this.candidateId
    );
  }

  /**
   * A watch saw another holder write after this candidate joined. Only the stream leader's
   * answer makes that a live holder: a diverged or catching-up replica can report such an
   * entry for a holder that is dead.
   */
  private async confirmStandby(): Promise<void> {
    if (this.confirming || this.standingKnown) return;
    this.confirming = true;
    try {
      const entry = await (this.kv as LeaseKv).get(this.name);
      if (entry !== null && this.renewedByOther(entry, this.recordOf(entry))) {
        this.settle('standby');
      }
    } catch (err) {
      this.report(err);
    } finally {
      this.confirming = false;
    }
  }

  /** Re-reads the key through the stream leader and takes its answer as the view. */
  private async reread(): Promise<void> {
    let entry: LeaseKvEntry | null;
    try {
      entry = await (this.kv as LeaseKv).get(this.name);
    } catch (err) {
      this.report(err);
      return;
    }
    const record = entry === null ? null : this.recordOf(entry);
    const corrected = this.core.correct(entry?.revision ?? null, record, this.clock());
    if (corrected !== null) this.report(new DivergedViewError(this.name, corrected));
    if (entry !== null) this.noteEntryTerm(entry, record);
  }

  private async startWatch(): Promise<void> {
    const watcher = await (this.kv as LeaseKv).watch({ key: this.name });
    this.watcher = watcher;
    void this.consume(watcher);
  }

  private async consume(watcher: LeaseKvWatch): Promise<void> {
    try {
      for await (const entry of watcher) {
        await this.handleWatched(entry);
        this.tick();
      }
    } catch (err) {
      this.report(err);
    }
    // The watch ended without stop() (connection loss, consumer gone): open a new one.
    if (this.running && this.watcher === watcher) {
      this.timers.setTimeout(() => {
        if (this.running && this.watcher === watcher) {
          this.startWatch().catch((e: unknown) => this.report(e));
        }
      }, this.core.timing.renewEveryMs);
    }
  }

  /**
   * An entry the watch delivered. One that would end our lease is believed only once the
   * stream leader confirms it: a watch served by a replica that diverged (nats-server 2.9.10
   * after a node was killed, ADR 0005) reports revisions the leader never held, and taking one
   * for a successor's write made a lone holder step down every few seconds. Waiting for the
   * answer never lengthens the lease: the belief still ends at its own time, and a real
   * successor's write also makes our next renewal fail.
   */
  private async handleWatched(entry: LeaseKvEntry): Promise<void> {
    const record = this.recordOf(entry);
    if (!this.core.supersedes(entry.revision, record)) {
      this.handleEntry(entry, record);
      return;
    }
    let leader: LeaseKvEntry | null;
    try {
      leader = await (this.kv as LeaseKv).get(this.name);
    } catch (err) {
      // No answer: believe the watch, as before any check.
      this.report(err);
      this.handleEntry(entry, record);
      return;
    }
    if (leader !== null && leader.revision < entry.revision) {
      this.report(
        new DivergedViewError(this.name, { believed: entry.revision, leader: leader.revision }),
      );
      this.handleEntry(leader, this.recordOf(leader));
      return;
    }
    this.handleEntry(entry, record);
  }

  private handleEntry(entry: LeaseKvEntry, record = this.recordOf(entry)): void {
    if (this.baseline === null) this.baseline = entry.revision;
    else if (this.renewedByOther(entry, record)) void this.confirmStandby();
    const lost = this.core.observe(entry.revision, record, this.clock());
    if (lost !== null) this.emitLost(lost);
    // Only an entry the view moved to is news: a lagging watch may still deliver older terms.
    if (this.core.view().observed?.revision === entry.revision) this.noteEntryTerm(entry, record);
  }

  /** The entry's lease record; null for a delete marker. */
  private recordOf(entry: LeaseKvEntry): LeaseRecord | null {
    if (entry.operation !== 'PUT') return null;
    try {
      return decodeLeaseRecord(entry.value);
    } catch (err) {
      // Unreadable value: still an occupied key whose revision we can wait out.
      this.report(err);
      return { holder: '?', term: 0, leaseMs: this.core.timing.leaseMs };
    }
  }

  private noteEntryTerm(entry: LeaseKvEntry, record: LeaseRecord | null): void {
    if (record !== null && record.term > 0) {
      this.noteTerm(record.holder, record.term, tokenOf(entry.revision, record));
    }
  }

  /**
   * Reports a term once per change of holder or token. Not only a higher token: after the KV
   * lost writes a new term can carry a lower revision, and followers must still learn where the
   * leader is (ADR 0010); the fencing token itself is claimed above every installed fence.
   */
  private noteTerm(holder: string, term: number, token: number): void {
    const last = this.lastTerm;
    if (last !== null && last.holder === holder && last.token === token) return;
    this.lastTerm = { holder, token };
    this.call(() => this.options.observer?.onLeaderChange?.(this.name, { holder, term, token }));
  }

  private emitLost(reason: LossReason | 'stopped'): void {
    this.call(() => this.options.onLost?.(reason));
    this.call(() => this.options.observer?.onLost?.(this.name, reason));
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.report(err);
    }
  }

  private report(err: unknown): void {
    try {
      this.options.onError?.(err);
    } catch {
      // A failing error hook must not break the election loop.
    }
  }

  private clearTimer(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }
}
