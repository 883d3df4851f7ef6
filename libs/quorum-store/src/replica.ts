import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { and, asc, eq, gt, inArray, like, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import type { InstalledFence } from './fence-rule.ts';
import { admits, NO_FENCE } from './fence-rule.ts';
import type { BatchInfo, RepairGroup } from './batch-decision.ts';
import type { VersionedRecord, WriteOutcome } from './quorum-decision.ts';
import type { BatchStamp, Db, RecordChange, RecordWrite, TombstoneRow } from './replica-sql.ts';
import type { GroupLimits, QueuedWrite } from './group-commit.ts';
import { batchMembers, mergeRows } from './group-commit.ts';
import {
  applyBatch,
  applyGroup,
  applyRepairGroup,
  deleteTombstones,
  lastChange,
  purgeBatches,
  readBatches,
  readChanges,
  readTombstones,
} from './replica-sql.ts';
import { records, fences } from './schema.ts';
import { WriteLane } from './write-lane.ts';

const MIGRATIONS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'drizzle');

export type { RecordWrite, TombstoneRow } from './replica-sql.ts';

export interface ReplicaConfig {
  /** Stable name, used in logs, metrics and errors (e.g. `pg-1`). */
  readonly name: string;
  /** Server URL; the database part is replaced by the store's database. */
  readonly url: string;
}

export class ReplicaTimeoutError extends Error {
  constructor(replica: string, ms: number) {
    super(`replica ${replica} did not answer within ${ms} ms`);
    this.name = 'ReplicaTimeoutError';
  }
}

/** How a replica commits writes: grouped per domain (ADR 0018), or each in its own transaction. */
export interface GroupCommitOptions {
  readonly enabled: boolean;
  readonly limits: GroupLimits;
  /** Called once per group transaction, whatever its outcome. */
  readonly onGroup?: (event: { domain: string; writes: number; rows: number }) => void;
}

/** Set when a failure happened before anything reached the server, so nothing can have applied. */
class NotSentError extends Error {}

/**
 * One PostgreSQL instance. Every operation runs on its own pooled connection under a hard
 * per-replica timeout; a timed-out connection is destroyed (a paused server would otherwise keep
 * it busy forever) and the outcome is reported as `unknown`, because the server may still commit.
 */
export class Replica {
  readonly name: string;
  private readonly pool: pg.Pool;
  private readonly serverUrl: string;
  private readonly database: string;
  private prepared: Promise<void> | undefined;
  private readonly knownDomains = new Set<string>();
  /** One lane per domain and write mode flags: at most one group transaction in flight each. */
  private readonly lanes = new Map<string, WriteLane>();

  constructor(
    config: ReplicaConfig,
    database: string,
    private readonly timeoutMs: number,
    poolSize: number,
    private readonly grouping: GroupCommitOptions = {
      enabled: false,
      limits: { maxWrites: 1, maxRows: Number.MAX_SAFE_INTEGER },
    },
  ) {
    this.name = config.name;
    this.database = database;
    this.serverUrl = config.url;
    const url = new URL(config.url);
    url.pathname = `/${database}`;
    this.pool = new pg.Pool({
      connectionString: url.toString(),
      max: poolSize,
      connectionTimeoutMillis: timeoutMs,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
    });
    // An idle client whose server died emits here; the next checkout gets a fresh connection.
    this.pool.on('error', () => {});
  }

  /**
   * Operations queued on this replica: those waiting for a pool connection, plus the group
   * transactions the writes queued behind each domain's transaction in flight will form.
   */
  get waiting(): number {
    let groups = 0;
    for (const lane of this.lanes.values())
      groups += Math.ceil(lane.queued / this.grouping.limits.maxWrites);
    return this.pool.waitingCount + groups;
  }

  /** Creates the database and applies migrations once; retried on the next call after a failure. */
  prepare(): Promise<void> {
    this.prepared ??= this.createAndMigrate().catch((err: unknown) => {
      this.prepared = undefined;
      throw err;
    });
    return this.prepared;
  }

  /**
   * Applies one batch under the fence, recording the batch with its rows: with group commit, in
   * the next transaction of the domain's lane together with the writes queued beside it
   * (ADR 0018); otherwise in a statement of its own.
   */
  async write(
    domain: string,
    rows: readonly RecordWrite[],
    batch: BatchStamp,
    opts: WriteFlags,
  ): Promise<WriteOutcome> {
    if (this.grouping.enabled)
      return this.lane(domain, opts).submit({ rows, batch, insertOnly: opts.insertOnly });
    const holder = opts.holder ?? '';
    try {
      const installed = await this.run(async (db) => {
        if (opts.fencing) await this.ensureFenceRow(db, domain);
        return applyBatch(db, domain, rows, batch, { ...opts, holder });
      });
      if (opts.fencing && installed !== undefined && !admits(installed, batch.token, holder)) {
        return fencedBy(this.name, installed);
      }
      return { kind: 'ack', replica: this.name };
    } catch (err) {
      return this.failure(err);
    }
  }

  private lane(domain: string, opts: WriteFlags): WriteLane {
    const holder = opts.holder ?? '';
    const id = `${opts.fencing ? 'f' : 'u'}:${domain}`;
    let lane = this.lanes.get(id);
    if (lane === undefined) {
      lane = new WriteLane(
        (group) => this.writeGroup(domain, group, { fencing: opts.fencing, holder }),
        this.grouping.limits,
        this.timeoutMs,
        () => ({
          kind: 'failed',
          replica: this.name,
          reason: `replica ${this.name} did not answer within ${this.timeoutMs} ms (queued, not sent)`,
          applied: 'no',
        }),
      );
      this.lanes.set(id, lane);
    }
    return lane;
  }

  /**
   * One group transaction: every write in it shares token, holder and mode (group-commit.ts), so
   * the fence read under the lock decides each alike, and the group's outcome is each write's.
   * A statement the server refused with an error that aborts it (bad data, a constraint, a
   * serialization failure) applied nothing, so its writes are retried one by one: one bad write
   * never fails the writes that happened to share its transaction.
   */
  private async writeGroup(
    domain: string,
    group: readonly QueuedWrite[],
    flags: { fencing: boolean; holder: string },
  ): Promise<WriteOutcome[]> {
    const { outcome, aborted } = await this.applyOneGroup(domain, group, flags);
    if (!aborted || group.length === 1) return group.map(() => outcome);
    const outcomes: WriteOutcome[] = [];
    for (const w of group) outcomes.push((await this.applyOneGroup(domain, [w], flags)).outcome);
    return outcomes;
  }

  private async applyOneGroup(
    domain: string,
    group: readonly QueuedWrite[],
    flags: { fencing: boolean; holder: string },
  ): Promise<{ outcome: WriteOutcome; aborted: boolean }> {
    const head = group[0];
    if (head === undefined) return { outcome: { kind: 'ack', replica: this.name }, aborted: false };
    const rows = mergeRows(group);
    this.grouping.onGroup?.({ domain, writes: group.length, rows: rows.length });
    const stamp = { token: head.batch.token, holder: head.batch.holder };
    try {
      const installed = await this.runClient(async (client) => {
        if (flags.fencing) await this.ensureFenceRow(drizzle(client), domain);
        return applyGroup(
          client,
          domain,
          rows,
          group.map((w) => ({ id: w.batch.id, members: batchMembers(w) })),
          stamp,
          { fencing: flags.fencing, insertOnly: head.insertOnly, holder: flags.holder },
        );
      });
      if (
        flags.fencing &&
        installed !== undefined &&
        !admits(installed, stamp.token, flags.holder)
      ) {
        return { outcome: fencedBy(this.name, installed), aborted: false };
      }
      return { outcome: { kind: 'ack', replica: this.name }, aborted: false };
    } catch (err) {
      return { outcome: this.failure(err), aborted: abortedStatement(err) };
    }
  }

  /**
   * Copies one repair group (whole batches, already decided) in one transaction; `allowed`
   * judges the fence read under the same lock a write takes (batch-decision.ts). A refusal is
   * reported as `fenced` with the fence that refused.
   */
  async repair(
    domain: string,
    group: RepairGroup,
    allowed: (fence: InstalledFence) => boolean,
  ): Promise<WriteOutcome> {
    try {
      const { applied, fence } = await this.run((db) =>
        applyRepairGroup(db, domain, group, allowed),
      );
      this.knownDomains.add(domain);
      return applied ? { kind: 'ack', replica: this.name } : fencedBy(this.name, fence);
    } catch (err) {
      return this.failure(err);
    }
  }

  /** The batches with these ids this replica holds. */
  async batches(ids: readonly string[]): Promise<BatchInfo[]> {
    return this.run((db) => readBatches(db, ids));
  }

  /** The next `limit` record changes after `afterSeq`, in change order, over every domain. */
  async changes(afterSeq: number, limit: number, settleMs: number): Promise<RecordChange[]> {
    return this.run((db) => readChanges(db, afterSeq, limit, settleMs));
  }

  /** The highest change sequence this replica handed out (0 when empty). */
  async lastChange(): Promise<number> {
    return this.run((db) => lastChange(db));
  }

  /** Up to `limit` tombstones of `domain` older than `graceMs`: purge candidates. */
  async tombstones(domain: string, graceMs: number, limit: number): Promise<TombstoneRow[]> {
    return this.run((db) => readTombstones(db, domain, graceMs, limit));
  }

  /** Removes these tombstones where this replica still holds them at that very version. */
  async deleteTombstones(domain: string, rows: readonly TombstoneRow[]): Promise<number> {
    return this.run((db) => deleteTombstones(db, domain, rows));
  }

  /** Removes up to `limit` batch rows older than `graceMs` that no record names any more. */
  async purgeBatches(domain: string, graceMs: number, limit: number): Promise<number> {
    return this.run((db) => purgeBatches(db, domain, graceMs, limit));
  }

  /**
   * Installs `token` of `holder` as the domain's fence unless the replica holds a higher token,
   * or the same token of another holder (fence-rule.ts); re-installing one's own fence is an ack.
   */
  async installFence(domain: string, token: number, holder: string): Promise<WriteOutcome> {
    try {
      const refusedBy = await this.run(async (db) => {
        const installed = await db.execute(sql`
          insert into seamline_fences as f (domain, token, holder)
          values (${domain}, ${token}, ${holder})
          on conflict (domain) do update set token = excluded.token, holder = excluded.holder
          where f.token < excluded.token
             or (f.token = excluded.token and f.holder in ('', excluded.holder))
          returning f.token`);
        // No row: the fence refused it. Fences only grow, so what the replica holds now is at
        // least what refused us.
        return installed.rows.length > 0 ? undefined : await readFenceRow(db, domain);
      });
      if (refusedBy !== undefined) return fencedBy(this.name, refusedBy);
      this.knownDomains.add(domain);
      return { kind: 'ack', replica: this.name };
    } catch (err) {
      return this.failure(err);
    }
  }

  /** The domain's installed fence (the placeholder when none was ever installed). */
  async fence(domain: string): Promise<InstalledFence> {
    return this.run((db) => readFenceRow(db, domain));
  }

  async read(domain: string, keys: readonly string[]): Promise<Map<string, VersionedRecord>> {
    return this.run(async (db) => {
      const rows = await db
        .select()
        .from(records)
        .where(and(eq(records.domain, domain), inArray(records.key, [...keys])));
      return toMap(rows);
    });
  }

  async scan(domain: string, filter: ScanFilter): Promise<Map<string, VersionedRecord>> {
    return this.run(async (db) => {
      // Tombstones are never candidates; a live row a stale replica offers is confirmed by a
      // quorum read, which sees the tombstone that beats it.
      const conditions = [eq(records.domain, domain), eq(records.deleted, false)];
      if (filter.tag !== undefined) conditions.push(eq(records.tag, filter.tag));
      if (filter.keyPrefix !== undefined)
        conditions.push(like(records.key, `${escapeLike(filter.keyPrefix)}%`));
      if (filter.afterKey !== undefined) conditions.push(gt(records.key, filter.afterKey));
      const rows = await db
        .select()
        .from(records)
        .where(and(...conditions))
        .orderBy(asc(records.key))
        .limit(filter.limit);
      return toMap(rows);
    });
  }

  async domains(): Promise<string[]> {
    return this.run(async (db) => {
      const rows = await db.selectDistinct({ domain: records.domain }).from(records);
      return rows.map((r) => r.domain);
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async createAndMigrate(): Promise<void> {
    await this.withTimeout(
      ensureDatabase(this.serverUrl, this.database, this.timeoutMs),
      this.timeoutMs * 10,
    );
    const client = await this.pool.connect();
    guardClient(client);
    try {
      // Several processes may open the same store at once; migrations run one at a time.
      await client.query('select pg_advisory_lock(7411230)');
      try {
        await migrate(drizzle(client), { migrationsFolder: MIGRATIONS });
      } finally {
        await client.query('select pg_advisory_unlock(7411230)');
      }
    } finally {
      client.release();
    }
  }

  private async ensureFenceRow(db: Db, domain: string): Promise<void> {
    if (this.knownDomains.has(domain)) return;
    await db.insert(fences).values({ domain, token: 0 }).onConflictDoNothing();
    this.knownDomains.add(domain);
  }

  private async run<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return this.runClient((client) => fn(drizzle(client)));
  }

  private async runClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    try {
      await this.prepare();
    } catch (err) {
      throw new NotSentError(`prepare ${this.name} failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw new NotSentError(`connect to ${this.name} failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
    guardClient(client);
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        reject(new ReplicaTimeoutError(this.name, this.timeoutMs));
      }, this.timeoutMs);
    });
    const work = fn(client);
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
      // A connection whose query timed out is destroyed, not reused.
      client.release(timedOut ? new Error('replica timeout') : undefined);
      if (timedOut) work.catch(() => {});
    }
  }

  private async withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        p,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new ReplicaTimeoutError(this.name, ms)), ms);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  private failure(err: unknown): WriteOutcome {
    const reason = describeError(err);
    const applied = err instanceof NotSentError || isConnectError(err) ? 'no' : 'unknown';
    return { kind: 'failed', replica: this.name, reason, applied };
  }
}

export interface WriteFlags {
  readonly fencing: boolean;
  readonly insertOnly: boolean;
  /** Who writes under the token: the fence admits its token only from its own holder. */
  readonly holder?: string;
}

export interface ScanFilter {
  readonly tag?: string;
  readonly keyPrefix?: string;
  readonly afterKey?: string;
  readonly limit: number;
}

async function readFenceRow(db: Db, domain: string): Promise<InstalledFence> {
  const rows = await db
    .select({ token: fences.token, holder: fences.holder })
    .from(fences)
    .where(eq(fences.domain, domain));
  const row = rows[0];
  return row === undefined ? NO_FENCE : { token: Number(row.token), holder: row.holder };
}

function fencedBy(replica: string, installed: InstalledFence): WriteOutcome {
  return { kind: 'fenced', replica, installed: installed.token, holder: installed.holder };
}

async function ensureDatabase(
  serverUrl: string,
  database: string,
  timeoutMs: number,
): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: timeoutMs });
  admin.on('error', () => {});
  await admin.connect();
  try {
    const found = await admin.query('select 1 from pg_database where datname = $1', [database]);
    if (found.rowCount === 0) {
      try {
        await admin.query(`create database ${pg.escapeIdentifier(database)}`);
      } catch (err) {
        // Another process created it first.
        const code = (err as { code?: string }).code;
        if (code !== '42P04' && code !== '23505') throw err;
      }
    }
  } finally {
    await admin.end();
  }
}

const guarded = new WeakSet<pg.PoolClient>();

/**
 * A server that dies or is killed sends a FATAL notice to every connection; on a connection that
 * is checked out or already discarded after a timeout, nobody else listens, and an unhandled
 * 'error' event would take the whole process down. The failure reaches us through the query.
 */
function guardClient(client: pg.PoolClient): void {
  if (guarded.has(client)) return;
  guarded.add(client);
  client.on('error', () => {});
}

function toMap(
  rows: readonly {
    key: string;
    fence: number;
    seq: number;
    tag: string | null;
    value: unknown;
    batchId: string | null;
    deleted: boolean;
  }[],
): Map<string, VersionedRecord> {
  const map = new Map<string, VersionedRecord>();
  for (const r of rows) {
    map.set(r.key, {
      key: r.key,
      version: { fence: Number(r.fence), seq: Number(r.seq) },
      tag: r.tag,
      value: r.value,
      batchId: r.batchId,
      ...(r.deleted ? { deleted: true } : {}),
    });
  }
  return map;
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The innermost cause is the useful part: drizzle wraps the driver's error with the whole query. */
function describeError(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

/**
 * The server answered the statement with an error of a class that aborts it before commit
 * (data exception 22, integrity 23, cardinality 21, rollback 40, syntax or access 42): the
 * single-statement transaction applied nothing. Connection losses and timeouts are not.
 */
function abortedStatement(err: unknown): boolean {
  let e: unknown = err;
  while (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^(21|22|23|40|42)[0-9A-Z]{3}$/.test(code)) return true;
    e = e.cause;
  }
  return false;
}

function isConnectError(err: unknown): boolean {
  let e: unknown = err;
  while (
    e instanceof Error &&
    e.cause instanceof Error &&
    (e as { code?: string }).code === undefined
  )
    e = e.cause;
  const code = (e as { code?: string } | undefined)?.code;
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === '57P03';
}
