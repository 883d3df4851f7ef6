import type { BatchStamp, RecordWrite } from './replica-sql.ts';
import { compareVersions } from './version.ts';

/**
 * The pure rules of group commit (ADR 0018): which queued writes of one replica and domain share
 * the next transaction, and the single set of record rows that transaction upserts.
 *
 * A write joins a group only with writes that carry the same token, holder and mode, so the
 * fence decision (one lock, one comparison) is the same for every write in it and the group's
 * outcome is each write's own outcome. Groups are contiguous runs of the queue: the replica
 * applies writes in exactly the order they arrived, cut into transactions, never reordered.
 */

/** One write as a replica's queue holds it. */
export interface QueuedWrite {
  readonly rows: readonly RecordWrite[];
  readonly batch: BatchStamp;
  readonly insertOnly: boolean;
}

/** Bounds on one group, so a burst never becomes one huge statement. */
export interface GroupLimits {
  /** Writes in one transaction. */
  readonly maxWrites: number;
  /** Record rows in one transaction; a single larger write still goes alone. */
  readonly maxRows: number;
}

export const DEFAULT_GROUP_LIMITS: GroupLimits = { maxWrites: 64, maxRows: 2000 };

/** Writes that may share a transaction: same token, same holder, same mode. */
export function sameGroup(a: QueuedWrite, b: QueuedWrite): boolean {
  return (
    a.batch.token === b.batch.token &&
    a.batch.holder === b.batch.holder &&
    a.insertOnly === b.insertOnly
  );
}

/**
 * How many writes from the head of `queue` form the next group: the longest prefix of writes
 * that may share the head's transaction, within `limits`. At least one whenever the queue is not
 * empty, so a write larger than `maxRows` still goes (alone).
 */
export function takeGroup(queue: readonly QueuedWrite[], limits: GroupLimits): number {
  const head = queue[0];
  if (head === undefined) return 0;
  let rows = head.rows.length;
  let n = 1;
  while (n < queue.length && n < limits.maxWrites) {
    const next = queue[n] as QueuedWrite;
    if (!sameGroup(head, next) || rows + next.rows.length > limits.maxRows) break;
    rows += next.rows.length;
    n += 1;
  }
  return n;
}

/** A record row of a group, with the batch its version comes from. */
export interface GroupRow {
  readonly row: RecordWrite;
  readonly batchId: string;
}

/**
 * The rows one statement upserts for a group, at most one per key (PostgreSQL's `ON CONFLICT DO
 * UPDATE` cannot touch one row twice in a statement). The result equals applying the writes one
 * after another in queue order: an update keeps the highest version of a key (versions only move
 * forward; of two equal versions the first stays, as the later one would not pass `<`), an
 * insert-only write keeps the first row of a key (the later insert would do nothing). Every
 * write's batch row is still recorded with all its members; only the record rows are merged.
 */
export function mergeRows(writes: readonly QueuedWrite[]): GroupRow[] {
  const byKey = new Map<string, GroupRow>();
  for (const w of writes) {
    for (const row of w.rows) {
      const held = byKey.get(row.key);
      if (held === undefined) {
        byKey.set(row.key, { row, batchId: w.batch.id });
      } else if (!w.insertOnly && compareVersions(row.version, held.row.version) > 0) {
        byKey.set(row.key, { row, batchId: w.batch.id });
      }
    }
  }
  return [...byKey.values()];
}

/** The members a write records in its batch row: `[key, fence, seq]` of each of its rows. */
export function batchMembers(w: QueuedWrite): [string, number, number][] {
  return w.rows.map((r) => [r.key, r.version.fence, r.version.seq]);
}
