import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';

/** Drops a test's databases on every instance and its bus streams and election bucket. */
export async function dropNamespace(
  stack: { postgres: readonly { url: string }[]; nats: readonly string[] },
  databases: readonly string[],
  busPrefix: string,
): Promise<void> {
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
  const nc = await connect({ servers: [...stack.nats] });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const s of jsm.streams.list()) {
      const name = s.config.name;
      if (name.startsWith(busPrefix.toUpperCase()) || name === `KV_${busPrefix}-election`)
        await jsm.streams.delete(name);
    }
  } finally {
    await nc.close();
  }
}
