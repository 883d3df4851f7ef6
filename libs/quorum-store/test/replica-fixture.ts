import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { restartProcess, signalProcess } from '../../../infra/stack/index.ts';
import { stackOptionsFromEnv } from '../../../infra/stack/env-options.ts';
import type { QuorumStoreOptions } from '../index.ts';
import { QuorumStore } from '../index.ts';

/**
 * Integration fixture: a fresh database on the project's three PostgreSQL instances, direct
 * per-replica access for assertions, and pause/resume/kill through the stack supervisor.
 */
export function replicaFixture() {
  const stack = inject('stack');
  const database = `qs_test_${randomBytes(4).toString('hex')}`;
  const replicas = stack.postgres.map((p) => ({ name: p.name, url: p.url }));
  const stores: QuorumStore[] = [];
  const paused = new Set<string>();

  return {
    replicas,
    database,
    async open(options: Partial<QuorumStoreOptions> = {}): Promise<QuorumStore> {
      const store = await QuorumStore.open({
        replicas,
        database,
        replicaTimeoutMs: 400,
        ...options,
      });
      stores.push(store);
      return store;
    },
    /** The raw row a replica holds, bypassing the quorum. */
    async rowOn(
      replica: string,
      domain: string,
      key: string,
    ): Promise<{ fence: number; seq: number; value: unknown } | undefined> {
      const client = await this.connect(replica);
      try {
        const res = await client.query<{ fence: string; seq: string; value: unknown }>(
          'select fence, seq, value from seamline_records where domain = $1 and key = $2',
          [domain, key],
        );
        const row = res.rows[0];
        return row === undefined
          ? undefined
          : { fence: Number(row.fence), seq: Number(row.seq), value: row.value };
      } finally {
        await client.end();
      }
    },
    async countOn(replica: string, domain: string): Promise<number> {
      const client = await this.connect(replica);
      try {
        const res = await client.query<{ n: string }>(
          'select count(*) as n from seamline_records where domain = $1',
          [domain],
        );
        return Number(res.rows[0]?.n ?? 0);
      } finally {
        await client.end();
      }
    },
    /** Batch rows of `domain` a replica holds. */
    async batchRowsOn(replica: string, domain: string): Promise<number> {
      const client = await this.connect(replica);
      try {
        const res = await client.query<{ n: string }>(
          'select count(*) as n from seamline_batches where domain = $1',
          [domain],
        );
        return Number(res.rows[0]?.n ?? 0);
      } finally {
        await client.end();
      }
    },
    /** The fence token a replica installed for `domain` (0: none). */
    async fenceOn(replica: string, domain: string): Promise<number> {
      const client = await this.connect(replica);
      try {
        const res = await client.query<{ token: string }>(
          'select token from seamline_fences where domain = $1',
          [domain],
        );
        return Number(res.rows[0]?.token ?? 0);
      } finally {
        await client.end();
      }
    },
    async connect(replica: string): Promise<pg.Client> {
      const r = replicas.find((x) => x.name === replica);
      if (r === undefined) throw new Error(`no replica ${replica}`);
      const url = new URL(r.url);
      url.pathname = `/${database}`;
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      return client;
    },
    async pause(name: string): Promise<void> {
      paused.add(name);
      await signalProcess(name, 'pause', stackOptionsFromEnv());
    },
    async resume(name: string): Promise<void> {
      await signalProcess(name, 'resume', stackOptionsFromEnv());
      paused.delete(name);
    },
    async kill(name: string): Promise<void> {
      await signalProcess(name, 'kill', stackOptionsFromEnv());
    },
    async restart(name: string): Promise<void> {
      await restartProcess(name, stackOptionsFromEnv());
    },
    /** Resumes anything left paused and closes every store; call in afterEach/afterAll. */
    async cleanup(): Promise<void> {
      for (const name of paused) await signalProcess(name, 'resume', stackOptionsFromEnv());
      paused.clear();
      await Promise.all(stores.splice(0).map((s) => s.close()));
    },
    async dropDatabase(): Promise<void> {
      for (const r of replicas) {
        const client = new pg.Client({ connectionString: r.url });
        await client.connect();
        try {
          await client.query(
            `drop database if exists ${pg.escapeIdentifier(database)} with (force)`,
          );
        } finally {
          await client.end();
        }
      }
    },
  };
}
