import { sql } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { BatchInfo, RepairGroup } from './batch-decision.ts';
import { isRecordBatch } from './batch-decision.ts';
import type { InstalledFence } from './fence-rule.ts';
import { NO_FENCE } from './fence-rule.ts';

/**
 * The statements a replica runs that write records: a batch (under the fence, in one statement)
 * and a repair group (in one transaction that checks the fence like a write). Both record the
 * batch with its records, so a replica that holds one version of a batch holds the batch.
 */

export type Db = NodePgDatabase<Record<string, never>>;

/** A record to write, with the version its writer decided. */
export interface RecordWrite {
  readonly key: string;
  readonly version: { readonly fence: number; readonly seq: number };
  readonly tag?: string | null;
  readonly value: unknown;
  /**
   * A tombstone: this version deletes the record (write `value: null`, `tag: null`). It travels
   * and wins like any version; readers treat it as absent. @default false
   */
  readonly deleted?: boolean;
}

/** The identity a batch is written under. */
export interface BatchStamp {
  readonly id: string;
  readonly token: number;
  readonly holder: string;
}

export interface ApplyFlags {
  readonly fencing: boolean;
  readonly insertOnly: boolean;
  readonly holder: string;
}

/**
 * One statement, so one implicit transaction: lock the domain's fence row (FOR SHARE waits for a
 * concurrent installation and then sees its token), apply only if the fence admits the token and
 * holder (above the installed token, or the installed token of its own holder: fence-rule.ts),
 * only move each record to a newer version, and record the batch. Returns the installed fence.
 */
export async function applyBatch(
  db: Db,
  domain: string,
  rows: readonly RecordWrite[],
  batch: BatchStamp,
  opts: ApplyFlags,
): Promise<InstalledFence | undefined> {
  const token = batch.token;
  const guard = opts.fencing
    ? sql`where coalesce((select token from fence), 0) < ${token}
             or (coalesce((select token from fence), 0) = ${token}
                 and coalesce((select holder from fence), '') in ('', ${opts.holder}))`
    : sql``;
  const members = JSON.stringify(rows.map((r) => [r.key, r.version.fence, r.version.seq]));
  const result = await db.execute<{ installed: string | null; holder: string | null }>(sql`
    with fence as (
      select token, holder from seamline_fences where domain = ${domain} for share
    ), ins as (
      ${upsertRecords(
        domain,
        rows,
        rows.map(() => batch.id),
        guard,
        opts.insertOnly,
      )}
    ), bat as (
      insert into seamline_batches (batch_id, domain, token, holder, members)
      select ${batch.id}, ${domain}, ${token}, ${batch.holder}, ${members}::jsonb
      ${guard}
      on conflict (batch_id) do nothing
      returning 1
    )
    select (select token from fence)::text as installed, (select holder from fence) as holder,
           (select count(*) from ins) as applied, (select count(*) from bat) as batches`);
  const row = result.rows[0];
  return row?.installed === null || row?.installed === undefined
    ? undefined
    : { token: Number(row.installed), holder: row.holder ?? '' };
}

/**
 * Copies one repair group in ONE transaction: the domain's fence row is locked (FOR SHARE, as a
 * write does) and `allowed` decides on the fence read under that lock; a refused group writes
 * nothing. Records only move forward, each keeping the batch its version came from.
 */
export async function applyRepairGroup(
  db: Db,
  domain: string,
  group: RepairGroup,
  allowed: (fence: InstalledFence) => boolean,
): Promise<{ applied: boolean; fence: InstalledFence }> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`
      insert into seamline_fences (domain, token) values (${domain}, 0)
      on conflict (domain) do nothing`);
    const found = await tx.execute<{ token: string; holder: string }>(sql`
      select token::text as token, holder from seamline_fences where domain = ${domain} for share`);
    const row = found.rows[0];
    const fence = row === undefined ? NO_FENCE : { token: Number(row.token), holder: row.holder };
    if (!allowed(fence)) return { applied: false, fence };
    const rows = group.records;
    if (rows.length > 0) {
      await tx.execute(
        upsertRecords(
          domain,
          rows,
          rows.map((r) => r.batchId ?? null),
          sql``,
          false,
        ),
      );
    }
    const real = group.batches.filter((b) => !isRecordBatch(b.id));
    if (real.length > 0) {
      await tx.execute(sql`
        insert into seamline_batches (batch_id, domain, token, holder, members)
        select u.id, ${domain}, u.token, u.holder, u.members
        from unnest(${sql.param(real.map((b) => b.id))}::text[],
                    ${sql.param(real.map((b) => b.token))}::bigint[],
                    ${sql.param(real.map((b) => b.holder))}::text[],
                    ${sql.param(real.map((b) => JSON.stringify(membersJson(b))))}::jsonb[])
          as u(id, token, holder, members)
        on conflict (batch_id) do nothing`);
    }
    return { applied: true, fence };
  });
}

/** The batches with these ids that a replica holds. */
export async function readBatches(db: Db, ids: readonly string[]): Promise<BatchInfo[]> {
  if (ids.length === 0) return [];
  const found = await db.execute<{
    batch_id: string;
    token: string;
    holder: string;
    members: [string, number, number][];
  }>(sql`
    select batch_id, token::text as token, holder, members from seamline_batches
    where batch_id = any(${sql.param([...ids])}::text[])`);
  return found.rows.map((r) => ({
    id: r.batch_id,
    token: Number(r.token),
    holder: r.holder,
    members: r.members.map(([key, fence, seq]) => ({ key, version: { fence, seq } })),
  }));
}

/** A record that changed on a replica, in change order. */
export interface RecordChange {
  readonly domain: string;
  readonly key: string;
  readonly changeSeq: number;
  /** Older than the settle time: no transaction that took a lower sequence can still commit. */
  readonly settled: boolean;
}

/** The next `limit` changes after `afterSeq`, over every domain. */
export async function readChanges(
  db: Db,
  afterSeq: number,
  limit: number,
  settleMs: number,
): Promise<RecordChange[]> {
  const found = await db.execute<{
    domain: string;
    key: string;
    seq_text: string;
    settled: boolean;
  }>(sql`
    select domain, key, change_seq::text as seq_text,
           updated_at < now() - make_interval(secs => ${settleMs / 1000}) as settled
    from seamline_records
    where change_seq > ${afterSeq}
    order by change_seq
    limit ${limit}`);
  return found.rows.map((r) => ({
    domain: r.domain,
    key: r.key,
    changeSeq: Number(r.seq_text),
    settled: r.settled,
  }));
}

/**
 * The highest change sequence a replica handed out so far (0 when it never handed one out).
 * Read from the sequence, not from the rows: purging a tombstone removes rows, and the highest
 * remaining row must not look like a rebuilt replica to anti-entropy.
 */
export async function lastChange(db: Db): Promise<number> {
  const found = await db.execute<{ last: string | null }>(sql`
    select pg_sequence_last_value(
             pg_get_serial_sequence('seamline_records', 'change_seq')::regclass)::text as last`);
  return Number(found.rows[0]?.last ?? 0);
}

/** A tombstone as a replica holds it: a purge candidate. */
export interface TombstoneRow {
  readonly key: string;
  readonly version: { readonly fence: number; readonly seq: number };
}

/** Up to `limit` tombstones of `domain` older than `graceMs` (by this replica's clock). */
export async function readTombstones(
  db: Db,
  domain: string,
  graceMs: number,
  limit: number,
): Promise<TombstoneRow[]> {
  const found = await db.execute<{ key: string; fence: string; seq: string }>(sql`
    select key, fence::text as fence, seq::text as seq from seamline_records
    where domain = ${domain} and deleted
      and updated_at < now() - make_interval(secs => ${graceMs / 1000})
    order by updated_at
    limit ${limit}`);
  return found.rows.map((r) => ({
    key: r.key,
    version: { fence: Number(r.fence), seq: Number(r.seq) },
  }));
}

/**
 * Removes these tombstones, each only while the replica still holds it at exactly that version
 * (a newer write of the key in between keeps its row). Returns the rows removed.
 */
export async function deleteTombstones(
  db: Db,
  domain: string,
  rows: readonly TombstoneRow[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const result = await db.execute(sql`
    delete from seamline_records r
    using unnest(${sql.param(rows.map((t) => t.key))}::text[],
                 ${sql.param(rows.map((t) => t.version.fence))}::bigint[],
                 ${sql.param(rows.map((t) => t.version.seq))}::bigint[]) as u(key, fence, seq)
    where r.domain = ${domain} and r.key = u.key and r.deleted
      and r.fence = u.fence and r.seq = u.seq`);
  return result.rowCount ?? 0;
}

/**
 * Removes up to `limit` batch rows of `domain` older than `graceMs` that no record of this
 * replica names any more: every member was overwritten by a later batch or purged. Repair only
 * ever copies the batch of a key's newest version, which some record still names.
 */
export async function purgeBatches(
  db: Db,
  domain: string,
  graceMs: number,
  limit: number,
): Promise<number> {
  const result = await db.execute(sql`
    delete from seamline_batches
    where batch_id in (
      select b.batch_id from seamline_batches b
      where b.domain = ${domain}
        and b.written_at < now() - make_interval(secs => ${graceMs / 1000})
        and not exists (select 1 from seamline_records r where r.batch_id = b.batch_id)
      limit ${limit})`);
  return result.rowCount ?? 0;
}

function membersJson(b: BatchInfo): [string, number, number][] {
  return b.members.map((m) => [m.key, m.version.fence, m.version.seq]);
}

function upsertRecords(
  domain: string,
  rows: readonly RecordWrite[],
  batchIds: readonly (string | null)[],
  guard: ReturnType<typeof sql>,
  insertOnly: boolean,
) {
  const onConflict = insertOnly
    ? sql`on conflict (domain, key) do nothing`
    : sql`on conflict (domain, key) do update
          set fence = excluded.fence, seq = excluded.seq, tag = excluded.tag,
              value = excluded.value, updated_at = excluded.updated_at,
              batch_id = excluded.batch_id, deleted = excluded.deleted,
              change_seq = default
          where (seamline_records.fence, seamline_records.seq) < (excluded.fence, excluded.seq)`;
  return sql`
    insert into seamline_records (domain, key, fence, seq, tag, value, updated_at, batch_id, deleted)
    select ${domain}, u.key, u.fence, u.seq, u.tag, u.value, now(), u.batch_id, u.deleted
    from unnest(${sql.param(rows.map((r) => r.key))}::text[],
                ${sql.param(rows.map((r) => r.version.fence))}::bigint[],
                ${sql.param(rows.map((r) => r.version.seq))}::bigint[],
                ${sql.param(rows.map((r) => r.tag ?? null))}::text[],
                ${sql.param(rows.map((r) => JSON.stringify(r.value)))}::jsonb[],
                ${sql.param([...batchIds])}::text[],
                ${sql.param(rows.map((r) => r.deleted === true))}::boolean[])
      as u(key, fence, seq, tag, value, batch_id, deleted)
    ${guard}
    ${onConflict}
    returning 1`;
}

/** What a group statement needs of a client: pg's `query` with a named (prepared) statement. */
export interface QueryClient {
  query<R extends Record<string, unknown>>(config: {
    name: string;
    text: string;
    values: unknown[];
  }): Promise<{ rows: R[] }>;
}

/**
 * Applies a group of writes (group-commit.ts: same token, holder and mode) in ONE statement, so
 * one transaction, exactly as {@link applyBatch} applies one: the fence row locked `FOR SHARE`,
 * every record row and every batch row under the same fence guard, records only moving forward.
 * `rows` holds at most one row per key (`mergeRows`); each names the batch its version came from,
 * and each write of the group gets its own batch row with all its members. The statement text
 * depends only on the flags, so it is prepared once per connection and reused. Returns the
 * installed fence, which decides every write of the group alike.
 */
export async function applyGroup(
  client: QueryClient,
  domain: string,
  rows: readonly { row: RecordWrite; batchId: string }[],
  batches: readonly { id: string; members: [string, number, number][] }[],
  stamp: { token: number; holder: string },
  opts: ApplyFlags,
): Promise<InstalledFence | undefined> {
  const values: unknown[] = [
    domain,
    rows.map((r) => r.row.key),
    rows.map((r) => r.row.version.fence),
    rows.map((r) => r.row.version.seq),
    rows.map((r) => r.row.tag ?? null),
    rows.map((r) => JSON.stringify(r.row.value)),
    rows.map((r) => r.batchId),
    rows.map((r) => r.row.deleted === true),
    batches.map((b) => b.id),
    batches.map((b) => JSON.stringify(b.members)),
    stamp.token,
    stamp.holder,
  ];
  if (opts.fencing) values.push(opts.holder);
  const statement = groupStatement(opts.fencing, opts.insertOnly);
  const result = await client.query<{ installed: string | null; holder: string | null }>({
    ...statement,
    values,
  });
  const row = result.rows[0];
  return row?.installed === null || row?.installed === undefined
    ? undefined
    : { token: Number(row.installed), holder: row.holder ?? '' };
}

const groupStatements = new Map<string, { name: string; text: string }>();

/** The group statement for these flags; $11 is the token, $12 the batch holder, $13 the writer. */
function groupStatement(fencing: boolean, insertOnly: boolean): { name: string; text: string } {
  const name = `seamline_apply_group_${fencing ? 'f' : 'u'}${insertOnly ? 'i' : 'w'}`;
  const found = groupStatements.get(name);
  if (found !== undefined) return found;
  const guard = fencing
    ? `where coalesce((select token from fence), 0) < $11::bigint
             or (coalesce((select token from fence), 0) = $11::bigint
                 and coalesce((select holder from fence), '') in ('', $13::text))`
    : '';
  const onConflict = insertOnly
    ? 'on conflict (domain, key) do nothing'
    : `on conflict (domain, key) do update
          set fence = excluded.fence, seq = excluded.seq, tag = excluded.tag,
              value = excluded.value, updated_at = excluded.updated_at,
              batch_id = excluded.batch_id, deleted = excluded.deleted,
              change_seq = default
          where (seamline_records.fence, seamline_records.seq) < (excluded.fence, excluded.seq)`;
  const text = `
    with fence as (
      select token, holder from seamline_fences where domain = $1::text for share
    ), ins as (
      insert into seamline_records (domain, key, fence, seq, tag, value, updated_at, batch_id, deleted)
      select $1::text, u.key, u.fence, u.seq, u.tag, u.value, now(), u.batch_id, u.deleted
      from unnest($2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::jsonb[], $7::text[],
                  $8::boolean[]) as u(key, fence, seq, tag, value, batch_id, deleted)
      ${guard}
      ${onConflict}
      returning 1
    ), bat as (
      insert into seamline_batches (batch_id, domain, token, holder, members)
      select b.id, $1::text, $11::bigint, $12::text, b.members
      from unnest($9::text[], $10::jsonb[]) as b(id, members)
      ${guard}
      on conflict (batch_id) do nothing
      returning 1
    )
    select (select token from fence)::text as installed, (select holder from fence) as holder,
           (select count(*) from ins) as applied, (select count(*) from bat) as batches`;
  const statement = { name, text };
  groupStatements.set(name, statement);
  return statement;
}
