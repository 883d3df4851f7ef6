/**
 * The auditor against the real PostgreSQL replicas. Hunts: a reader that goes through a quorum
 * (and so never sees a duplicate that lives on one replica only), a report that names the wrong
 * replica, divergence that is missed or that repair does not converge, and a missing database
 * treated as an error instead of as empty.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { auditStack, MERGED } from '@seamline/audit';
import type { ServiceDatabase } from '@seamline/audit';
import { QuorumStore } from '@seamline/quorum-store';
import { standardHistory } from './history.ts';

const stack = inject('stack');
const suffix = randomBytes(4).toString('hex');
const databases: Record<ServiceDatabase, string> = {
  order: `audit_${suffix}_order`,
  payment: `audit_${suffix}_payment`,
  inventory: `audit_${suffix}_inventory`,
};

function urlOf(replica: string, database: string): string {
  const url = new URL(stack.postgres.find((p) => p.name === replica)!.url);
  url.pathname = `/${database}`;
  return url.toString();
}

async function onReplica(replica: string, database: string, sql: string, params: unknown[]) {
  const client = new pg.Client({ connectionString: urlOf(replica, database) });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  const history = standardHistory().records();
  for (const db of ['order', 'payment', 'inventory'] as const) {
    const store = await QuorumStore.open({ replicas: stack.postgres, database: databases[db] });
    try {
      await store.write(db, history[db], { token: 1 });
    } finally {
      await store.close();
    }
  }
});

afterAll(async () => {
  for (const { url } of stack.postgres) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      for (const name of Object.values(databases)) {
        await admin.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
      }
    } finally {
      await admin.end();
    }
  }
});

describe('auditStack on the real replicas', () => {
  it('passes a consistent history written through the quorum store, counting what it read', async () => {
    const report = await auditStack({ postgres: stack.postgres, databases, expectTerminal: true });
    expect(report.violations).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.counts).toMatchObject({
      orders: 6,
      byStatus: { COMPLETED: 3, CANCELLED: 3 },
      effects: { reserve: 5, release: 2, charge: 4, refund: 1 },
      duplicateEffects: 0,
    });
    expect(report.replicas.map((r) => r.read)).toEqual([
      ['pg-1', 'pg-2', 'pg-3'],
      ['pg-1', 'pg-2', 'pg-3'],
      ['pg-1', 'pg-2', 'pg-3'],
    ]);
  });

  it('fails on a second charge planted into one replica table, naming the order and the replica', async () => {
    await onReplica(
      'pg-2',
      databases.payment,
      `insert into seamline_records (domain, key, fence, seq, tag, value) values ($1, $2, 1, 1, null, $3)`,
      [
        'payment',
        'ledger:ord-1:charge:charge-again',
        JSON.stringify({
          kind: 'charge',
          orderId: 'ord-1',
          customerId: 'cust-1',
          amountCents: 2500,
        }),
      ],
    );
    try {
      const report = await auditStack({ postgres: stack.postgres, databases });
      expect(report.ok).toBe(false);
      const double = report.violations.find((v) => v.rule === 'double-effect');
      expect(double).toMatchObject({ invariant: 'no-double-effect', key: 'order:ord-1' });
      expect(double?.detail).toContain('ledger:ord-1:charge:charge-again');
      expect([...(double?.seenOn ?? [])].sort()).toEqual([MERGED, 'pg-2']);
      expect(report.counts.duplicateEffects).toBe(1);
    } finally {
      await onReplica('pg-2', databases.payment, `delete from seamline_records where key = $1`, [
        'ledger:ord-1:charge:charge-again',
      ]);
    }
  });

  it('reports a replica that lost a record as divergence, and converges it with repair', async () => {
    await onReplica('pg-3', databases.inventory, `delete from seamline_records where key = $1`, [
      'ledger:ord-3:reserve:release',
    ]);
    const before = await auditStack({ postgres: stack.postgres, databases });
    expect(before.divergence).toMatchObject([
      { database: 'inventory', key: 'ledger:ord-3:reserve:release' },
    ]);
    expect(before.ok).toBe(true);
    const repaired = await auditStack({ postgres: stack.postgres, databases, repair: true });
    expect(repaired.ok).toBe(true);
    expect(repaired.counts.repairedKeys).toBe(1);
    expect(repaired.divergence).toEqual([]);
    const { rowCount } = await onReplica(
      'pg-3',
      databases.inventory,
      `select 1 from seamline_records where key = $1`,
      ['ledger:ord-3:reserve:release'],
    );
    expect(rowCount).toBe(1);
  });

  it('treats databases that do not exist yet as empty', async () => {
    const missing = `audit_${suffix}_none`;
    const report = await auditStack({
      postgres: stack.postgres,
      databases: { order: missing, payment: missing, inventory: missing },
    });
    expect(report.ok).toBe(true);
    expect(report.counts.orders).toBe(0);
  });
});
