import { QuorumStore } from '@seamline/quorum-store';
import type { AuditReport, ServiceDatabase } from './audit-report.ts';
import { auditSnapshot } from './audit-snapshot.ts';
import type { StackSnapshot } from './audit-snapshot.ts';
import type { AuditDomains } from './books.ts';
import { DEFAULT_DOMAINS } from './books.ts';
import type { ReplicaEndpoint } from './replica-reader.ts';
import { readDatabase } from './replica-reader.ts';

/**
 * The auditor against a running stack: reads every replica of the three service databases
 * (after anti-entropy when asked) and checks invariants 1 and 2. Meant for a quiet system (the
 * end of a test suite, the demo, an operator's check): records are read replica by replica, not
 * at one instant, so writes racing the read can show up as transient divergence or imbalance.
 */

export interface AuditStackOptions {
  /** The N PostgreSQL instances (e.g. `inject('stack').postgres`). */
  readonly postgres: readonly ReplicaEndpoint[];
  /** @default { order: 'seamline_order', payment: 'seamline_payment', inventory: 'seamline_inventory' } */
  readonly databases?: Partial<Record<ServiceDatabase, string>>;
  /** Every order must be COMPLETED or CANCELLED. @default false */
  readonly expectTerminal?: boolean;
  /** Run the quorum store's anti-entropy on each database first; replicas must then agree. @default false */
  readonly repair?: boolean;
  /** Per replica, for connecting and for one read. @default 10_000 */
  readonly timeoutMs?: number;
  /** Replicas of each database that must answer for the audit to mean anything. @default a majority */
  readonly minReplicas?: number;
  /** @default DEFAULT_DOMAINS */
  readonly domains?: Partial<AuditDomains>;
}

export const DEFAULT_DATABASES: Readonly<Record<ServiceDatabase, string>> = Object.freeze({
  order: 'seamline_order',
  payment: 'seamline_payment',
  inventory: 'seamline_inventory',
});

/** Too few replicas answered: nothing can be concluded about the invariants. */
export class AuditUnavailableError extends Error {
  readonly code = 'AUDIT_UNAVAILABLE';
  readonly unreachable: readonly { database: string; replica: string; reason: string }[];
  constructor(message: string, unreachable: AuditUnavailableError['unreachable']) {
    super(message);
    this.name = 'AuditUnavailableError';
    this.unreachable = unreachable;
  }
}

const ORDER: readonly ServiceDatabase[] = ['order', 'payment', 'inventory'];

export async function auditStack(options: AuditStackOptions): Promise<AuditReport> {
  if (options.postgres.length === 0) throw new TypeError('auditStack: postgres must name replicas');
  const databases = { ...DEFAULT_DATABASES, ...options.databases };
  const timeoutMs = options.timeoutMs ?? 10_000;
  const minReplicas = options.minReplicas ?? Math.floor(options.postgres.length / 2) + 1;
  const replicas = options.postgres.map(({ name, url }) => ({ name, url }));

  let repairedKeys = 0;
  if (options.repair) {
    // The order domain spreads a stale leader's batch as the order service does (ADR 0015).
    const spread = [{ ...DEFAULT_DOMAINS, ...options.domains }.order];
    for (const db of ORDER)
      repairedKeys += await repairDatabase(replicas, databases[db], timeoutMs, spread);
  }
  const [order, payment, inventory] = await Promise.all(
    ORDER.map((db) => readDatabase(replicas, databases[db], timeoutMs)),
  );
  const snapshot: StackSnapshot = { order: order!, payment: payment!, inventory: inventory! };
  const short = ORDER.filter((db) => snapshot[db].replicas.length < minReplicas);
  if (short.length > 0) {
    const unreachable = ORDER.flatMap((db) =>
      snapshot[db].unreachable.map((u) => ({ database: databases[db], ...u })),
    );
    throw new AuditUnavailableError(
      `audit needs ${minReplicas} replicas of every database; too few answered for ` +
        `${short.map((db) => databases[db]).join(', ')}: ` +
        unreachable.map((u) => `${u.database}@${u.replica}: ${u.reason}`).join('; '),
      unreachable,
    );
  }
  return auditSnapshot(snapshot, {
    expectTerminal: options.expectTerminal ?? false,
    repaired: options.repair ?? false,
    repairedKeys,
    domains: { ...DEFAULT_DOMAINS, ...options.domains },
  });
}

/** One anti-entropy pass over every domain of the database; returns the keys it found divergent. */
async function repairDatabase(
  replicas: readonly ReplicaEndpoint[],
  database: string,
  timeoutMs: number,
  spreadStaleBatches: readonly string[],
): Promise<number> {
  const store = await QuorumStore.open({
    replicas,
    database,
    replicaTimeoutMs: timeoutMs,
    spreadStaleBatches,
  });
  try {
    const reports = await store.antiEntropy();
    return reports.reduce((sum, r) => sum + r.divergent, 0);
  } finally {
    await store.close();
  }
}
