import { bigint, index, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Every replica holds the same two tables, in each service's own database.
 *
 * `seamline_records` is a versioned key-value space partitioned by `domain` (one fenced writer
 * per domain, or insert-only records whose updates commute). `tag` is an optional indexed label
 * (a saga's status, say) so a new leader can find the records it must reload without a full scan.
 *
 * `seamline_fences` holds, per domain, the highest fencing token the replica has installed and
 * the holder (a store instance) that installed it; a write carrying a lower token, or the same
 * token from another holder, is refused in the same statement that would apply it (fence-rule.ts).
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
  },
  (t) => [
    primaryKey({ columns: [t.domain, t.key] }),
    index('seamline_records_tag').on(t.domain, t.tag),
  ],
);

export const fences = pgTable('seamline_fences', {
  domain: text('domain').primaryKey(),
  token: bigint('token', { mode: 'number' }).notNull(),
  /** Empty for the placeholder row and for fences installed before holders were recorded. */
  holder: text('holder').notNull().default(''),
});
