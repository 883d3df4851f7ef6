/**
 * What each payment replica holds for one order, read directly from every PostgreSQL instance
 * (underneath the quorum store, as the auditor does): the order's ledger entries and the
 * customer's balance. "Exactly one refund" is then a fact about every replica, not about what a
 * quorum read happens to return.
 */
import pg from 'pg';
import type { ChaosPipeline } from './chaos-pipeline.ts';

export interface ReplicaBooks {
  readonly replica: string;
  /** False when the replica could not be read (then the fields below are empty). */
  readonly reachable: boolean;
  /** `ledger:<orderId>:...` keys, sorted. */
  readonly ledger: readonly string[];
  readonly balanceCents: number | undefined;
}

export async function paymentBooks(
  p: Pick<ChaosPipeline, 'stack' | 'databases'>,
  orderId: string,
  customerId: string,
): Promise<ReplicaBooks[]> {
  return Promise.all(
    p.stack.postgres.map(async (replica): Promise<ReplicaBooks> => {
      const url = new URL(replica.url);
      url.pathname = `/${p.databases.payment}`;
      const c = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5_000 });
      c.on('error', () => {});
      try {
        await c.connect();
        const rows = await c.query<{ key: string; value: { balanceCents?: number } }>(
          `select key, value from seamline_records
            where domain = 'payment' and (starts_with(key, $1) or key = $2) order by key`,
          [`ledger:${orderId}:`, `account:${customerId}`],
        );
        const account = rows.rows.find((r) => r.key === `account:${customerId}`);
        return {
          replica: replica.name,
          reachable: true,
          ledger: rows.rows.filter((r) => r.key.startsWith('ledger:')).map((r) => r.key),
          balanceCents: account?.value.balanceCents,
        };
      } catch {
        return { replica: replica.name, reachable: false, ledger: [], balanceCents: undefined };
      } finally {
        await c.end().catch(() => {});
      }
    }),
  );
}

/** Ledger keys of one kind (`charge`, `refund`) on one replica. */
export function entriesOf(books: ReplicaBooks, kind: 'charge' | 'refund'): string[] {
  return books.ledger.filter((key) => key.split(':')[3]?.startsWith(kind) === true);
}
