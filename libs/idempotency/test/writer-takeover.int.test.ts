/**
 * Issue 9, hole 7, against the real three PostgreSQL instances: a payment/inventory writer
 * taking over used to run a full anti-entropy pass (every record of every domain) before its
 * first effect, so failover time grew with history. Hunts a takeover that still scans: the
 * term start must install its fence and nothing else, whatever the history holds.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { QuorumObserver, QuorumStore, RecordWrite } from '@seamline/quorum-store';
import { QuorumStore as Store } from '@seamline/quorum-store';
import { FencedEffectWriter, WriterTerms } from '../index.ts';

const stack = inject('stack');
const replicas = stack.postgres.map((p) => ({ name: p.name, url: p.url }));
const database = `takeover_${randomBytes(4).toString('hex')}`;
const opened: QuorumStore[] = [];

afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  for (const r of replicas) {
    const client = new pg.Client({ connectionString: r.url });
    await client.connect();
    try {
      await client.query(`drop database if exists ${pg.escapeIdentifier(database)} with (force)`);
    } finally {
      await client.end();
    }
  }
});

async function open(observer: QuorumObserver = {}): Promise<QuorumStore> {
  const store = await Store.open({ replicas, database, replicaTimeoutMs: 2000, observer });
  opened.push(store);
  return store;
}

/** Writes `n` records of history in `domain` under `token`, in batches of 500. */
async function history(store: QuorumStore, domain: string, n: number, token: number) {
  await store.claimFence(domain, token);
  for (let i = 0; i < n; i += 500) {
    const rows: RecordWrite[] = [];
    for (let j = i; j < Math.min(n, i + 500); j++)
      rows.push({ key: `idem:${j}`, version: { fence: token, seq: 1 }, value: { j } });
    await store.write(domain, rows, { token });
  }
}

/**
 * Takes over `domain` with a fresh store and writer, counting every store call the term start
 * makes and every quorum operation the store runs meanwhile.
 */
async function takeOver(domain: string, token: number) {
  const ops: string[] = [];
  const store = await open({ onOperation: (op) => ops.push(op) });
  const calls: string[] = [];
  // Every method the term start touches is counted, whatever its name.
  const counted = new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls.push(String(prop));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const writer = new FencedEffectWriter({ store, domain });
  await new WriterTerms({ writer, store: counted }).begin(token);
  return { active: writer.token, calls, ops };
}

describe('hole 7: a writer takeover does not scan the history', () => {
  it('installs its fence and reads nothing, with 10 or 3000 records of history alike', async () => {
    const seed = await open();
    await history(seed, 'small', 10, 1);
    await history(seed, 'large', 3000, 1);
    const small = await takeOver('small', 2);
    const large = await takeOver('large', 2);
    expect(small.active).toBe(2);
    expect(large.active).toBe(2);
    // No anti-entropy pass (it would read all 3000 records on every replica), no scan, no read.
    expect(large.calls).toEqual(['claimFence']);
    expect(large.ops).toEqual(small.ops);
    expect(large.ops).not.toContain('read');
  });
});
