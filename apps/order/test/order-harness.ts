/**
 * Starts order replicas in-process against the project's real Postgres and NATS, isolated by a
 * fresh database, bus prefix and election name per harness, and cleans all of it up.
 */
import { randomBytes } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { waitFor } from '../../../infra/stack/index.ts';
import type { OrderConfig } from '../src/config.ts';
import { readOrderConfig } from '../src/config.ts';
import type { OrderApp, OrderAppOverrides } from '../src/create-order-app.ts';
import { createOrderApp } from '../src/create-order-app.ts';

export interface Isolation {
  readonly suffix: string;
  readonly busPrefix: string;
  readonly env: Record<string, string>;
}

/** Names that keep one test file's data, streams and election apart from every other's. */
export function isolation(): Isolation {
  const suffix = randomBytes(3).toString('hex');
  const stack = inject('stack');
  const busPrefix = `t${suffix}`;
  return {
    suffix,
    busPrefix,
    env: {
      SEAMLINE_PG_URLS: stack.postgres.map((p) => `${p.name}=${p.url}`).join(','),
      SEAMLINE_NATS_URLS: stack.nats.join(','),
      SEAMLINE_BUS_PREFIX: busPrefix,
      SEAMLINE_ELECTION_BUCKET: `${busPrefix}-election`,
      SEAMLINE_LOG_LEVEL: 'warn',
    },
  };
}

export async function startOrderReplicas(
  iso: Isolation,
  count: number,
  env: Record<string, string> = {},
  overrides: OrderAppOverrides = {},
  basePort = 3900,
): Promise<OrderApp[]> {
  const apps: OrderApp[] = [];
  for (let i = 0; i < count; i++) {
    const config: OrderConfig = readOrderConfig({
      ...iso.env,
      SEAMLINE_DB: `order_${iso.suffix}`,
      SEAMLINE_HTTP_PORT: String(basePort + i),
      SEAMLINE_REPLICA_ID: `order-${i + 1}`,
      ...env,
    });
    apps.push(await createOrderApp(config, overrides));
  }
  await waitFor(() => apps.some((a) => a.orchestrator.leading), {
    timeoutMs: 15_000,
    intervalMs: 20,
    what: 'an order leader',
  });
  return apps;
}

/**
 * For a test file: `count` replicas in a fresh isolation, started before its tests and closed,
 * with their database and streams dropped, after them. Read `apps()` inside the tests.
 */
export function orderReplicasPerFile(
  count: number,
  env: Record<string, string>,
  basePort: number,
): { apps(): OrderApp[]; isolation(): Isolation } {
  let iso: Isolation | undefined;
  let apps: OrderApp[] = [];
  beforeAll(async () => {
    iso = isolation();
    apps = await startOrderReplicas(iso, count, env, {}, basePort);
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    if (iso !== undefined) await dropIsolation(iso, [`order_${iso.suffix}`]);
  });
  return {
    apps: () => apps,
    isolation: () => {
      if (iso === undefined) throw new Error('the replicas start in beforeAll');
      return iso;
    },
  };
}

export function leaderOf(apps: readonly OrderApp[]): OrderApp {
  const leader = apps.find((a) => a.orchestrator.leading);
  if (leader === undefined) throw new Error('no leader');
  return leader;
}

/** Drops the harness's databases and bus streams. */
export async function dropIsolation(iso: Isolation, databases: readonly string[]): Promise<void> {
  const stack = inject('stack');
  for (const p of stack.postgres) {
    const c = new pg.Client({ connectionString: p.url });
    await c.connect();
    try {
      for (const db of databases)
        await c.query(`drop database if exists ${pg.escapeIdentifier(db)} with (force)`);
    } finally {
      await c.end();
    }
  }
  const nc = await connect({ servers: stack.nats });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const s of jsm.streams.list()) {
      if (
        s.config.name.startsWith(iso.busPrefix.toUpperCase()) ||
        s.config.name === `KV_${iso.busPrefix}-election`
      ) {
        await jsm.streams.delete(s.config.name);
      }
    }
  } finally {
    await nc.close();
  }
}

export async function postOrder(
  base: string,
  key: string | undefined,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${base}/orders`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key === undefined ? {} : { 'idempotency-key': key }),
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
  };
}

/** Runs `sql` on one PostgreSQL replica of the stack (by index), in `database`, and returns its rows. */
export async function queryReplica<T>(
  index: number,
  database: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const url = new URL(inject('stack').postgres[index]!.url);
  url.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}
