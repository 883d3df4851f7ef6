import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { AntiEntropyReport } from './anti-entropy.ts';
import { IncrementalAntiEntropy } from './anti-entropy.ts';
import { BatchRepair } from './batch-repair.ts';
import type { ReplicaFailure } from './errors.ts';
import { FencedError, IndeterminateWriteError, QuorumUnavailableError } from './errors.ts';
import { fanOut } from './fan-out.ts';
import { FencedReplicas } from './fenced-replicas.ts';
import type { Consistency, QuorumStoreOptions, ResolvedOptions } from './options.ts';
import { resolveOptions } from './options.ts';
import type {
  ReadOutcome,
  VersionedRecord,
  WriteDecision,
  WriteOutcome,
} from './quorum-decision.ts';
import { decideRead, decideWrite, fenceQuorum, resolveRead } from './quorum-decision.ts';
import type { InstalledFence } from './fence-rule.ts';
import { claimToken } from './fence-rule.ts';
import type { RecordWrite, ScanFilter, TombstoneRow } from './replica.ts';
import { Replica } from './replica.ts';
import { ReplicaHealth } from './replica-health.ts';
import { purgeableTombstones } from './tombstone-purge.ts';

export interface WriteOptions {
  /** The writer's fencing token; each replica refuses it if it installed a higher one. */
  readonly token: number;
  /** Insert-only records (keyed by idempotency key) never overwrite: their updates commute. */
  readonly insertOnly?: boolean;
}

export interface ReadOptions {
  /**
   * Read as the writer holding this fencing token (after {@link QuorumStore.claimFence}): only
   * replicas that hold the token as their fence answer (the fence is installed on any that lacks
   * it before it is read), and the read needs max(R, N - W + 1) of them. Every write of an older
   * token that can still collect W acks has one on such a replica, made before its fence, so the
   * read sees it; a plain read of the fastest R replicas can miss it (ADR 0010).
   */
  readonly fence?: number;
  /**
   * Return tombstones too (records with `deleted: true`), e.g. to write the key again above the
   * version that deleted it. By default a tombstone reads as absent. @default false
   */
  readonly withTombstones?: boolean;
}

/** Options of {@link QuorumStore.purge}. */
export interface PurgeOptions {
  /** Only tombstones and batch rows older than this (by each replica's clock) are removed. */
  readonly graceMs: number;
  /** Tombstones, and batch rows per replica, removed at most in one call. @default 500 */
  readonly limit?: number;
}

/** What one {@link QuorumStore.purge} removed. */
export interface PurgeReport {
  readonly domain: string;
  /** Tombstones removed (each from every replica). */
  readonly tombstones: number;
  /** Batch rows removed, over all replicas. */
  readonly batches: number;
  /** Replicas that did not answer: no tombstone is removed while one is unreachable. */
  readonly unreachable: readonly string[];
}

/** A fence this store installed for a new term. */
export interface FenceClaim {
  /** The token the term writes with: the proposed one, or above every fence found. */
  readonly token: number;
  readonly acks: number;
}

export interface ScanOptions extends ReadOptions {
  readonly tag?: string;
  readonly keyPrefix?: string;
  /** Exclusive cursor: return keys after this one. */
  readonly afterKey?: string;
  /** @default 100 */
  readonly limit?: number;
}

export interface ScanPage {
  readonly records: readonly VersionedRecord[];
  /** Pass as `afterKey` for the next page; undefined on the last page. */
  readonly nextKey: string | undefined;
}

export type { AntiEntropyReport } from './anti-entropy.ts';

/**
 * A key-value store replicated over N independent PostgreSQL instances: writes succeed at W
 * acks, reads take the highest version of R answers, and a replica refuses any write whose
 * fencing token is below the fence it installed. See docs/adr/0001-quorum-store.md.
 */
export class QuorumStore {
  private readonly replicas: Map<string, Replica>;
  private readonly health: ReplicaHealth;
  private readonly fenced = new FencedReplicas();
  private readonly repairs: BatchRepair;
  private readonly entropy: IncrementalAntiEntropy;
  private entropyPass: Promise<AntiEntropyReport[]> | undefined;

  private constructor(private readonly o: ResolvedOptions) {
    this.replicas = new Map(
      o.replicas.map((r) => [
        r.name,
        new Replica(r, o.database, o.replicaTimeoutMs, o.poolSize, {
          enabled: o.groupCommit,
          limits: o.groupCommitLimits,
          onGroup: (event) => o.observer.onGroupCommit?.({ replica: r.name, ...event }),
        }),
      ]),
    );
    this.repairs = new BatchRepair(
      (name) => this.replica(name),
      o.writeQuorum,
      o.observer,
      o.spreadStaleBatches,
    );
    this.entropy = new IncrementalAntiEntropy(
      [...this.replicas.values()],
      this.repairs,
      o.observer,
      o.antiEntropyPageSize,
      o.antiEntropySettleMs,
    );
    this.health = new ReplicaHealth(
      o.replicas.map((r) => r.name),
      o.ejection,
      Math.max(o.readQuorum, o.writeQuorum),
      o.clock,
      (name, ejected) => o.observer.onEjection?.(name, ejected),
    );
  }

  /**
   * Validates the options (refusing R + W <= N unless consistency is `eventual`), creates the
   * database and applies migrations on every reachable replica. Fails unless at least
   * max(R, W) replicas could be prepared; the others are prepared when they come back.
   */
  static async open(options: QuorumStoreOptions): Promise<QuorumStore> {
    const store = new QuorumStore(resolveOptions(options));
    const results = await Promise.allSettled([...store.replicas.values()].map((r) => r.prepare()));
    const ready = results.filter((r) => r.status === 'fulfilled').length;
    const needed = Math.max(store.o.readQuorum, store.o.writeQuorum);
    if (ready < needed) {
      const failures = results.flatMap((r, i) =>
        r.status === 'rejected'
          ? [{ replica: store.o.replicas[i]?.name ?? '?', reason: String(r.reason) }]
          : [],
      );
      await store.close();
      throw new QuorumUnavailableError('open', ready, needed, failures);
    }
    return store;
  }

  get consistency(): Consistency {
    return this.o.consistency;
  }

  get replicaNames(): string[] {
    return [...this.replicas.keys()];
  }

  /** The identity recorded with this store's fences and checked with its writes. */
  get holder(): string {
    return this.o.holder;
  }

  /**
   * Writes a batch atomically on each replica. Resolves at W acks. Throws
   * {@link FencedError} when any replica holds a higher token, {@link IndeterminateWriteError}
   * when fewer than W acked but some replica may have applied it, and
   * {@link QuorumUnavailableError} when provably nothing applied.
   */
  async write(
    domain: string,
    rows: readonly RecordWrite[],
    opts: WriteOptions,
  ): Promise<{ acks: number }> {
    if (rows.length === 0) return { acks: 0 };
    const flags = {
      fencing: this.o.fencing,
      insertOnly: opts.insertOnly ?? false,
      holder: this.o.holder,
    };
    // One id for the batch on every replica: repair copies it whole (batch-decision.ts).
    const batch = { id: randomUUID(), token: opts.token, holder: this.o.holder };
    const decision = await this.timed('write', () =>
      this.writeRound('write', (r) => r.write(domain, rows, batch, flags), this.o.writeQuorum),
    );
    return this.settleWrite('write', domain, opts.token, decision);
  }

  /**
   * Starts a term: installs a fencing token on at least N - W + 1 replicas (see
   * {@link installFence}) and returns it. The token is `proposed` (the election's) unless a write
   * quorum of replicas already holds a fence at or above it: the election handed out a token
   * again after losing writes, or this holder was superseded before it got here (ADR 0010). Then
   * it is one above the highest found, so a term's token never repeats and never goes back.
   * Write and read (`ReadOptions.fence`) with the returned token.
   */
  async claimFence(domain: string, proposed: number): Promise<FenceClaim> {
    const found = await this.readFences(domain);
    const token = claimToken(proposed, found);
    const { acks } = await this.installFence(domain, token);
    return { token, acks };
  }

  /**
   * Installs `token`, recorded with this store's holder, on at least N - W + 1 replicas, so that
   * any W acks for an older token, or for this token from another holder, include a replica that
   * refuses them. A new term calls {@link claimFence} instead; this installs exactly `token`.
   */
  async installFence(domain: string, token: number): Promise<{ acks: number }> {
    const needed = fenceQuorum(this.replicas.size, this.o.writeQuorum);
    const decision = await this.timed('install_fence', () =>
      this.writeRound('install_fence', (r) => this.fenceReplica(r, domain, token), needed),
    );
    return this.settleWrite('install_fence', domain, token, decision);
  }

  async read(
    domain: string,
    key: string,
    options: ReadOptions = {},
  ): Promise<VersionedRecord | undefined> {
    return (await this.readMany(domain, [key], options)).get(key);
  }

  /** Quorum read of several keys: the highest version of R answers per key, stale replicas repaired. */
  async readMany(
    domain: string,
    keys: readonly string[],
    options: ReadOptions = {},
  ): Promise<Map<string, VersionedRecord>> {
    if (keys.length === 0) return new Map();
    const found = await this.timed('read', async () => {
      const responses = await this.readRound((r) => r.read(domain, keys), domain, options.fence);
      return this.settleRead(domain, responses);
    });
    if (options.withTombstones !== true) {
      // The tombstone took part in choosing the winner (it beats a stale live copy) and in
      // repair; to the caller a deleted record is simply not there.
      for (const [k, rec] of found) if (rec.deleted === true) found.delete(k);
    }
    return found;
  }

  /**
   * Lists records in key order. Candidates come from R replicas and are then confirmed with a
   * quorum read, so a stale replica can neither hide a record nor resurrect an old tag.
   */
  async scan(domain: string, options: ScanOptions = {}): Promise<ScanPage> {
    const { fence, ...rest } = options;
    const filter: ScanFilter = { ...rest, limit: options.limit ?? 100 };
    const responses = await this.readRound((r) => r.scan(domain, filter), domain, fence);
    const candidates = [...resolveRead(responses).winners.keys()].sort().slice(0, filter.limit);
    const confirmed = await this.readMany(domain, candidates, fence === undefined ? {} : { fence });
    const out = candidates
      .map((k) => confirmed.get(k))
      .filter(
        (r): r is VersionedRecord =>
          r !== undefined && (options.tag === undefined || r.tag === options.tag),
      );
    const nextKey =
      candidates.length === filter.limit ? candidates[candidates.length - 1] : undefined;
    return { records: out, nextKey };
  }

  /**
   * One incremental anti-entropy pass (anti-entropy.ts): compares, across every replica, the keys
   * changed since this store's watermarks, and copies whole batches, under each target's fence,
   * to the replicas that lack them. The first pass of a store reads every change, in pages.
   * Reports, per domain with changes, how many keys diverged. Concurrent calls share one pass.
   */
  async antiEntropy(): Promise<AntiEntropyReport[]> {
    this.entropyPass ??= this.entropy.pass().finally(() => {
      this.entropyPass = undefined;
    });
    return this.entropyPass;
  }

  /**
   * Physically removes what retention deleted (tombstone-purge.ts, ADR 0017): tombstones older
   * than `graceMs` that every replica holds at the same version, from every replica, and the
   * batch rows older than `graceMs` that no record names any more (superseded or purged). Runs
   * no fence: it removes only what the fenced writes already decided, and nothing a repair could
   * still need. Bounded by `limit`; call again for the rest.
   */
  async purge(domain: string, options: PurgeOptions): Promise<PurgeReport> {
    const limit = options.limit ?? 500;
    const all = [...this.replicas.values()];
    const unreachable = new Set<string>();
    const candidates = new Map<string, TombstoneRow>();
    await Promise.all(
      all.map(async (r) => {
        try {
          for (const t of await r.tombstones(domain, options.graceMs, limit))
            if (candidates.size < limit) candidates.set(t.key, t);
        } catch {
          unreachable.add(r.name);
        }
      }),
    );
    let tombstones = 0;
    if (candidates.size > 0 && unreachable.size === 0) {
      const keys = [...candidates.keys()];
      const held = new Map<string, Map<string, VersionedRecord>>();
      await Promise.all(
        all.map(async (r) => {
          try {
            held.set(r.name, await r.read(domain, keys));
          } catch {
            unreachable.add(r.name);
          }
        }),
      );
      const purgeable = purgeableTombstones([...candidates.values()], held, all.length);
      if (purgeable.length > 0) {
        const removed = await Promise.all(
          all.map((r) =>
            r.deleteTombstones(domain, purgeable).catch(() => {
              unreachable.add(r.name);
              return 0;
            }),
          ),
        );
        // A tombstone counts once, removed from every replica that had it.
        tombstones = Math.max(0, ...removed);
      }
    }
    const batches = await Promise.all(
      all.map((r) =>
        r.purgeBatches(domain, options.graceMs, limit).catch(() => {
          unreachable.add(r.name);
          return 0;
        }),
      ),
    );
    return {
      domain,
      tombstones,
      batches: batches.reduce((a, b) => a + b, 0),
      unreachable: [...unreachable].sort(),
    };
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.replicas.values()].map((r) => r.close()));
  }

  /**
   * How many operations queue ahead of a new write on its quorum: the W-th shortest connection
   * queue among the replicas (a write completes when its W fastest replicas ack). Zero while the
   * pools keep up; a growing value means the store is saturated and callers should shed work.
   */
  backlog(): number {
    const queues = [...this.replicas.values()].map((r) => r.waiting).sort((a, b) => a - b);
    return queues[Math.min(this.o.writeQuorum, queues.length) - 1] ?? 0;
  }

  private targets(): string[] {
    const eligible = this.health.eligible();
    // Never ask fewer replicas than a quorum needs because of ejection; probe everyone instead.
    return eligible.length >= Math.max(this.o.readQuorum, this.o.writeQuorum)
      ? eligible
      : [...this.replicas.keys()];
  }

  private replica(name: string): Replica {
    const r = this.replicas.get(name);
    if (r === undefined) throw new Error(`unknown replica ${name}`);
    return r;
  }

  private async writeRound(
    op: 'write' | 'install_fence',
    send: (r: Replica) => Promise<WriteOutcome>,
    needed: number,
  ): Promise<{ decision: WriteDecision; outcomes: readonly WriteOutcome[] }> {
    return fanOut(
      this.targets(),
      (name) => send(this.replica(name)),
      (outcomes, total) => decideWrite(outcomes, total, needed),
      (o) => this.recordWriteOutcome(op, o),
    );
  }

  private recordWriteOutcome(op: 'write' | 'install_fence', o: WriteOutcome): void {
    if (o.kind === 'failed') {
      this.health.recordFailure(o.replica);
      this.o.observer.onReplicaOutcome?.(
        op,
        o.replica,
        /did not answer/.test(o.reason) ? 'timeout' : 'nack',
      );
    } else {
      this.health.recordSuccess(o.replica);
      this.o.observer.onReplicaOutcome?.(op, o.replica, o.kind === 'ack' ? 'ack' : 'rejected');
    }
  }

  private settleWrite(
    op: 'write' | 'install_fence',
    domain: string,
    token: number,
    { decision, outcomes }: { decision: WriteDecision; outcomes: readonly WriteOutcome[] },
  ): { acks: number } {
    const failures: ReplicaFailure[] = outcomes.flatMap((o) =>
      o.kind === 'failed' ? [{ replica: o.replica, reason: o.reason }] : [],
    );
    switch (decision.kind) {
      case 'success':
        return { acks: decision.acks };
      case 'fenced':
        this.o.observer.onFencingRejection?.({
          domain,
          staleToken: token,
          installedToken: decision.installed,
          replica: decision.replica,
        });
        throw new FencedError(
          domain,
          token,
          decision.installed,
          decision.replica,
          decision.acks > 0,
          decision.holder,
        );
      case 'indeterminate':
        this.o.observer.onIndeterminate?.(op);
        throw new IndeterminateWriteError(decision.acks, this.neededFor(op), failures);
      case 'unavailable':
      case 'pending':
        throw new QuorumUnavailableError(
          op,
          decision.kind === 'unavailable' ? decision.acks : 0,
          this.neededFor(op),
          failures,
        );
    }
  }

  private neededFor(op: 'write' | 'install_fence'): number {
    return op === 'write'
      ? this.o.writeQuorum
      : fenceQuorum(this.replicas.size, this.o.writeQuorum);
  }

  /** Installs `token` on one replica and remembers a replica that holds it. */
  private async fenceReplica(r: Replica, domain: string, token: number): Promise<WriteOutcome> {
    const outcome = await r.installFence(domain, token, this.o.holder);
    if (outcome.kind === 'ack') this.fenced.acked(domain, token, r.name);
    return outcome;
  }

  /** The installed fences of at least W replicas: together they meet every fence quorum. */
  private async readFences(domain: string): Promise<InstalledFence[]> {
    type Outcome =
      | { kind: 'ok'; replica: string; fence: InstalledFence }
      | { kind: 'failed'; replica: string; reason: string };
    const needed = this.o.writeQuorum;
    const { outcomes } = await fanOut<Outcome, { kind: 'pending' | 'done' }>(
      this.targets(),
      async (name) => {
        try {
          return { kind: 'ok', replica: name, fence: await this.replica(name).fence(domain) };
        } catch (err) {
          return { kind: 'failed', replica: name, reason: (err as Error).message };
        }
      },
      (os, total) => {
        const ok = os.filter((o) => o.kind === 'ok').length;
        return ok >= needed || ok + total - os.length < needed
          ? { kind: 'done' }
          : { kind: 'pending' };
      },
      (o) => {
        if (o.kind === 'ok') this.health.recordSuccess(o.replica);
        else this.health.recordFailure(o.replica);
      },
    );
    const found = outcomes.flatMap((o) => (o.kind === 'ok' ? [o.fence] : []));
    if (found.length < needed) {
      const failures = outcomes.flatMap((o) =>
        o.kind === 'failed' ? [{ replica: o.replica, reason: o.reason }] : [],
      );
      throw new QuorumUnavailableError('claim fence', found.length, needed, failures);
    }
    return found;
  }

  /**
   * Asks the replicas, settles at R answers. With `fence`, a replica answers only once it holds
   * that token (installed first when this store does not know it does), and the read needs
   * max(R, N - W + 1) answers; a replica holding a newer fence makes it a {@link FencedError}.
   */
  private async readRound(
    fetch: (r: Replica) => Promise<Map<string, VersionedRecord>>,
    domain?: string,
    fence?: number,
  ): Promise<readonly ReadOutcome[]> {
    const asHolder = domain !== undefined && fence !== undefined;
    const needed = asHolder
      ? Math.max(this.o.readQuorum, fenceQuorum(this.replicas.size, this.o.writeQuorum))
      : this.o.readQuorum;
    let refusal: Extract<WriteOutcome, { kind: 'fenced' }> | undefined;
    // A replica that refused our fence answered; it is not failing, and must not be ejected.
    const refusedBy = new Set<string>();
    const { decision, outcomes } = await fanOut<ReadOutcome, ReturnType<typeof decideRead>>(
      this.targets(),
      async (name) => {
        try {
          const replica = this.replica(name);
          if (asHolder && !this.fenced.holds(domain, fence, name)) {
            const installed = await this.fenceReplica(replica, domain, fence);
            if (installed.kind !== 'ack') {
              if (installed.kind === 'fenced') {
                refusal ??= installed;
                refusedBy.add(name);
              }
              const reason =
                installed.kind === 'fenced'
                  ? `holds fence ${installed.installed}`
                  : installed.reason;
              return { kind: 'failed', replica: name, reason };
            }
          }
          return { kind: 'ok', replica: name, records: await fetch(replica) };
        } catch (err) {
          return { kind: 'failed', replica: name, reason: (err as Error).message };
        }
      },
      (os, total) => decideRead(os, total, needed),
      (o) => {
        const answered = o.kind === 'ok' || refusedBy.has(o.replica);
        if (answered) this.health.recordSuccess(o.replica);
        else this.health.recordFailure(o.replica);
        this.o.observer.onReplicaOutcome?.(
          'read',
          o.replica,
          o.kind === 'ok' ? 'ack' : answered ? 'rejected' : 'timeout',
        );
      },
    );
    if (refusal !== undefined && domain !== undefined && fence !== undefined) {
      this.o.observer.onFencingRejection?.({
        domain,
        staleToken: fence,
        installedToken: refusal.installed,
        replica: refusal.replica,
      });
      throw new FencedError(
        domain,
        fence,
        refusal.installed,
        refusal.replica,
        false,
        refusal.holder,
      );
    }
    if (decision.kind !== 'success') {
      const failures = outcomes.flatMap((o) =>
        o.kind === 'failed' ? [{ replica: o.replica, reason: o.reason }] : [],
      );
      throw new QuorumUnavailableError(
        asHolder ? 'fenced read' : 'read',
        decision.kind === 'unavailable' ? decision.responses : 0,
        needed,
        failures,
      );
    }
    return decision.responses;
  }

  private async settleRead(
    domain: string,
    responses: readonly ReadOutcome[],
  ): Promise<Map<string, VersionedRecord>> {
    const { winners, stale, holders } = resolveRead(responses);
    if (!this.o.writeBack || stale.size === 0) return new Map(winners);
    if (this.o.consistency === 'linearizable') {
      // ABD: before returning a value, make sure W replicas hold it, so no later quorum read
      // can return anything older.
      const needsWriteBack = [...winners.values()].filter(
        (w) => (holders.get(w.key) ?? 0) < this.o.writeQuorum,
      );
      if (needsWriteBack.length > 0) await this.writeBack(domain, responses, needsWriteBack);
    } else {
      // Read-repair copies whole batches under each target's fence, in the background.
      this.repairs.repair(domain, responses).catch(() => {});
    }
    return new Map(winners);
  }

  /**
   * Makes W replicas hold `rows` by batch repair: first among the replicas that answered the
   * read, then, if that is not enough, among all of them. A group a fence refuses is not written
   * back, and the read fails rather than return what W replicas may never hold.
   */
  private async writeBack(
    domain: string,
    responses: readonly ReadOutcome[],
    rows: readonly VersionedRecord[],
  ): Promise<void> {
    const enough = (holders: ReadonlyMap<string, number>) =>
      rows.every((r) => (holders.get(r.key) ?? 0) >= this.o.writeQuorum);
    let result = await this.repairs.repair(domain, responses);
    if (!enough(result.holders)) {
      const keys = rows.map((r) => r.key);
      const all = await Promise.all(
        this.targets().map(async (name): Promise<ReadOutcome> => {
          try {
            return {
              kind: 'ok',
              replica: name,
              records: await this.replica(name).read(domain, keys),
            };
          } catch (err) {
            return { kind: 'failed', replica: name, reason: (err as Error).message };
          }
        }),
      );
      result = await this.repairs.repair(domain, all);
      if (!enough(result.holders)) {
        const failures = all.flatMap((o) =>
          o.kind === 'failed' ? [{ replica: o.replica, reason: o.reason }] : [],
        );
        const least = Math.min(...rows.map((r) => result.holders.get(r.key) ?? 0));
        throw new QuorumUnavailableError(
          'linearizable read write-back',
          least,
          this.o.writeQuorum,
          failures,
        );
      }
    }
  }

  private async timed<T>(op: 'write' | 'read' | 'install_fence', fn: () => Promise<T>): Promise<T> {
    const start = performance.now();
    let outcome = 'ok';
    try {
      return await fn();
    } catch (err) {
      outcome = (err as { code?: string }).code ?? 'error';
      throw err;
    } finally {
      this.o.observer.onOperation?.(
        op,
        this.o.consistency,
        (performance.now() - start) / 1000,
        outcome,
      );
    }
  }
}
