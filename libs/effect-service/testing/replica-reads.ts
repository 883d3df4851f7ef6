/**
 * Direct per-replica reads, bypassing quorums: they prove what EVERY replica holds, not what a
 * quorum read returns.
 */
import pg from 'pg';
import type { StackEndpoints } from './test-namespace.ts';

/** The value of `key` on EACH replica (undefined where absent). */
export async function onEveryReplica(
  stack: StackEndpoints,
  database: string,
  domain: string,
  key: string,
): Promise<unknown[]> {
  return perReplica(stack, database, async (client) => {
    const r = await client.query(
      'select value from seamline_records where domain = $1 and key = $2',
      [domain, key],
    );
    return r.rows[0]?.value as unknown;
  });
}

/** Keys under `prefix` on EACH replica, in key order. */
export async function keysOnEveryReplica(
  stack: StackEndpoints,
  database: string,
  domain: string,
  prefix: string,
): Promise<string[][]> {
  return perReplica(stack, database, async (client) => {
    const r = await client.query(
      'select key from seamline_records where domain = $1 and starts_with(key, $2) order by key',
      [domain, prefix],
    );
    return r.rows.map((row: { key: string }) => row.key);
  });
}

async function perReplica<T>(
  stack: StackEndpoints,
  database: string,
  read: (client: pg.Client) => Promise<T>,
): Promise<T[]> {
  return Promise.all(
    stack.postgres.map(async (p) => {
      const url = new URL(p.url);
      url.pathname = `/${database}`;
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      try {
        return await read(client);
      } finally {
        await client.end();
      }
    }),
  );
}
