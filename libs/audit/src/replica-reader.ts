import pg from 'pg';
import type { DatabaseSnapshot } from './audit-snapshot.ts';
import type { StoredRecord } from './replica-merge.ts';

/**
 * Reads every row of one service database from every replica, each on its own plain
 * connection: no quorum logic in between, so the auditor sees exactly what each instance holds,
 * duplicates and stale rows included. A replica that does not answer in time is reported
 * unreachable; one without the database (or its table) yet simply holds nothing.
 */

export interface ReplicaEndpoint {
  readonly name: string;
  /** Server URL; its database part is replaced. */
  readonly url: string;
}

/** PostgreSQL: database does not exist, relation does not exist. */
const NOTHING_THERE = new Set(['3D000', '42P01']);

interface Row {
  domain: string;
  key: string;
  fence: string;
  seq: string;
  tag: string | null;
  value: unknown;
  deleted: boolean;
}

export async function readDatabase(
  replicas: readonly ReplicaEndpoint[],
  database: string,
  timeoutMs: number,
): Promise<DatabaseSnapshot> {
  type Read = { replica: string; records: StoredRecord[] } | { replica: string; error: string };
  const reads = await Promise.all(
    replicas.map(async (replica): Promise<Read> => {
      try {
        return { replica: replica.name, records: await readReplica(replica, database, timeoutMs) };
      } catch (error) {
        return { replica: replica.name, error: describe(error) };
      }
    }),
  );
  return {
    name: database,
    replicas: reads.flatMap((r) => ('records' in r ? [r] : [])),
    unreachable: reads.flatMap((r) =>
      'error' in r ? [{ replica: r.replica, reason: r.error }] : [],
    ),
  };
}

async function readReplica(
  replica: ReplicaEndpoint,
  database: string,
  timeoutMs: number,
): Promise<StoredRecord[]> {
  const url = new URL(replica.url);
  url.pathname = `/${database}`;
  const client = new pg.Client({
    connectionString: url.toString(),
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
  });
  // A server that dies mid-read emits here; the pending query rejects on its own.
  client.on('error', () => {});
  let healthy = false;
  try {
    await client.connect();
    const result = await client.query<Row>(
      `select domain, key, fence::text as fence, seq::text as seq, tag, value, deleted
         from seamline_records order by domain, key`,
    );
    healthy = true;
    return result.rows.map((row) => ({
      domain: row.domain,
      key: row.key,
      version: { fence: Number(row.fence), seq: Number(row.seq) },
      tag: row.tag,
      value: row.value,
      ...(row.deleted ? { deleted: true } : {}),
    }));
  } catch (error) {
    if (NOTHING_THERE.has((error as { code?: string }).code ?? '')) {
      healthy = true;
      return [];
    }
    throw error;
  } finally {
    // Ending a connection to a paused server would wait for it; drop it instead.
    if (healthy) await client.end().catch(() => {});
    else void client.end().catch(() => {});
  }
}

function describe(error: unknown): string {
  let e: unknown = error;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  if (e instanceof AggregateError && e.errors.length > 0) e = e.errors[0];
  return e instanceof Error ? e.message || e.name : String(e);
}
