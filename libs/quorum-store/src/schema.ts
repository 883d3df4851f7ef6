import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  bigserial,
  index,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

/**
 * Every replica holds the same three tables, in each service's own database.
 *
 * `seamline_records` is a versioned key-value space partitioned by `domain` (one fenced writer
 * per domain, or insert-only records whose updates commute). `tag` is an optional indexed label
 * (a saga's status, say) so a new leader can find the records it must reload without a full scan.
 *
 * `seamline_fences` holds, per domain, the highest fencing token the replica has installed and
 * the holder (a store instance) that installed it; a write carrying a lower token, or the same
 * token from another holder, is refused in the same statement that would apply it (fence-rule.ts).
 *
 * `seamline_batches` remembers every multi-record write (a batch) a replica applied: its id, the
 * token and holder it was written under and its member keys with their versions. Each record
 * names the batch its current version came from (`batch_id`), so repair copies whole batches,
 * never single keys, under the same fence rule as a write (batch-decision.ts, ADR 0015).
 * `change_seq` grows with every insert or update of a record: anti-entropy reads the changes
 * after a watermark instead of every record.
 */
export const records = pgTable(
  'seamline_records',
  {
    domain: text('domain').notNull(),
    key: text('key').notNull(),
    fence: bigint('fence', { mode: 'number' }).notNull(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    tag: text('tag'),
    value: jsonb('value').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    /** The batch this version was written in; null for rows written before batches were kept. */
    batchId: text('batch_id'),
    /** Taken from a sequence on every insert and update: the order anti-entropy reads changes in. */
    changeSeq: bigserial('change_seq', { mode: 'number' }).notNull(),
    /**
     * A tombstone: the record was deleted by this version (retention). Written, versioned and
     * repaired like any record, so a delete travels by repair and anti-entropy and no stale
     * replica can resurrect what it deleted; readers treat it as absent. Purged once every
     * replica holds it (QuorumStore.purge, ADR 0017).
     */
    deleted: boolean('deleted').notNull().default(false),
  },
  (t) => [
    primaryKey({ columns: [t.domain, t.key] }),
    index('seamline_records_tag').on(t.domain, t.tag),
    index('seamline_records_change_seq').on(t.changeSeq),
    // Purge asks "is any record still naming this batch?" for every candidate batch row.
    index('seamline_records_batch_id').on(t.batchId),
    index('seamline_records_tombstones')
      .on(t.domain, t.updatedAt)
      .where(sql`${t.deleted}`),
  ],
);

/** One applied batch: `members` is `[key, fence, seq][]`, the versions the batch gave its keys. */
export const batches = pgTable(
  'seamline_batches',
  {
    batchId: text('batch_id').primaryKey(),
    domain: text('domain').notNull(),
    token: bigint('token', { mode: 'number' }).notNull(),
    holder: text('holder').notNull().default(''),
    members: jsonb('members').notNull(),
    writtenAt: timestamp('written_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('seamline_batches_written_at').on(t.domain, t.writtenAt)],
);

export const fences = pgTable('seamline_fences', {
  domain: text('domain').primaryKey(),
  token: bigint('token', { mode: 'number' }).notNull(),
  /** Empty for the placeholder row and for fences installed before holders were recorded. */
  holder: text('holder').notNull().default(''),
});
