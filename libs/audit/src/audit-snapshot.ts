import { formatVersion } from '@seamline/quorum-store';
import type {
  AuditCounts,
  AuditReport,
  DivergentKey,
  ReplicaCoverage,
  ServiceDatabase,
  Violation,
} from './audit-report.ts';
import { MERGED, mergeViolations, violation } from './audit-report.ts';
import type { AuditDomains } from './books.ts';
import { DEFAULT_DOMAINS, readBooks } from './books.ts';
import { checkConservation } from './conservation-check.ts';
import { checkDoubleEffects } from './double-effect-check.ts';
import { checkOrderOutcomes } from './order-outcome-check.ts';
import type { Disagreement, ReplicaRows } from './replica-merge.ts';
import { mergeReplicas } from './replica-merge.ts';

/**
 * The whole audit as a pure function of what was read: the rows of every reachable replica of
 * the three service databases. The merged view (highest version per key) is the truth for
 * invariant 2; invariant 1 is checked on the merged view AND on each replica alone.
 */

export interface DatabaseSnapshot {
  /** The database name on the instances (e.g. `seamline_payment`). */
  readonly name: string;
  readonly replicas: readonly ReplicaRows[];
  readonly unreachable: readonly { replica: string; reason: string }[];
}

export type StackSnapshot = Readonly<Record<ServiceDatabase, DatabaseSnapshot>>;

export interface SnapshotAuditOptions {
  /** Every order must be COMPLETED or CANCELLED; others are violations. @default false */
  readonly expectTerminal?: boolean;
  /**
   * Anti-entropy ran before the read: replicas must agree now, and any key they still disagree
   * on is a violation. Without repair, divergence is only reported. @default false
   */
  readonly repaired?: boolean;
  /** Keys anti-entropy reported divergent (and repaired). @default 0 */
  readonly repairedKeys?: number;
  /** @default DEFAULT_DOMAINS */
  readonly domains?: AuditDomains;
}

const DATABASES: readonly ServiceDatabase[] = ['order', 'payment', 'inventory'];

export function auditSnapshot(
  snapshot: StackSnapshot,
  options: SnapshotAuditOptions = {},
): AuditReport {
  const domains = options.domains ?? DEFAULT_DOMAINS;
  const repaired = options.repaired ?? false;
  const merged = Object.fromEntries(
    DATABASES.map((db) => [db, mergeReplicas(snapshot[db].replicas)]),
  ) as Record<ServiceDatabase, ReturnType<typeof mergeReplicas>>;
  const books = readBooks(
    { order: merged.order.truth, payment: merged.payment.truth, inventory: merged.inventory.truth },
    domains,
  );
  const violations: Violation[] = [...books.malformed];
  const duplicated = new Set<string>();

  const mergedDoubles = checkDoubleEffects(books.effects, MERGED);
  violations.push(...mergedDoubles.violations);
  mergedDoubles.duplicated.forEach((d) => duplicated.add(d));
  for (const replica of replicaNames(snapshot)) {
    const rowsOf = (db: ServiceDatabase) =>
      snapshot[db].replicas.find((r) => r.replica === replica)?.records ?? [];
    const own = readBooks({ payment: rowsOf('payment'), inventory: rowsOf('inventory') }, domains, [
      replica,
    ]);
    const doubles = checkDoubleEffects(own.effects, replica);
    violations.push(...own.malformed, ...doubles.violations);
    doubles.duplicated.forEach((d) => duplicated.add(d));
  }

  const divergence: DivergentKey[] = [];
  for (const db of DATABASES) {
    for (const c of merged[db].conflicts) {
      violations.push(
        violation(
          'replica-conflict',
          c.key,
          `${snapshot[db].name} ${c.domain}/${c.key}: one version, different contents (${versionsText(c)})`,
          c.versions.map((v) => v.replica),
        ),
      );
    }
    for (const d of merged[db].divergent) {
      divergence.push({ database: db, domain: d.domain, key: d.key, versions: versionList(d) });
      if (repaired) {
        violations.push(
          violation(
            'divergence',
            d.key,
            `${snapshot[db].name} ${d.domain}/${d.key} still differs after repair: ${versionsText(d)}`,
            d.versions.map((v) => v.replica),
          ),
        );
      }
    }
  }

  const outcomes = checkOrderOutcomes(books, { expectTerminal: options.expectTerminal ?? false });
  const conservation = checkConservation(books);
  violations.push(...outcomes.violations, ...conservation.violations);

  const counts: AuditCounts = {
    orders: books.orders.length,
    byStatus: { PENDING: 0, COMPENSATING: 0, COMPLETED: 0, CANCELLED: 0 },
    cancelledByReason: {},
    effects: { charge: 0, refund: 0, reserve: 0, release: 0 },
    duplicateEffects: duplicated.size,
    accounts: books.accounts.length,
    skus: books.stock.length,
    records: {
      order: merged.order.truth.length,
      payment: merged.payment.truth.length,
      inventory: merged.inventory.truth.length,
    },
    divergentKeys: divergence.length,
    repairedKeys: options.repairedKeys ?? 0,
    completedChargedCents: conservation.completedChargedCents,
    completedTotalCents: conservation.completedTotalCents,
  };
  for (const order of books.orders) {
    counts.byStatus[order.status] += 1;
    if (order.status === 'CANCELLED') {
      const reason = order.reason ?? 'UNKNOWN';
      counts.cancelledByReason[reason] = (counts.cancelledByReason[reason] ?? 0) + 1;
    }
  }
  for (const entry of books.effects) counts.effects[entry.kind] += 1;

  const all = mergeViolations(violations);
  return {
    ok: all.length === 0,
    violations: all,
    counts,
    nonTerminal: [...outcomes.nonTerminal],
    overLimit: books.orders
      .filter((o) => o.overLimit)
      .map((o) => ({ orderId: o.orderId, status: o.status, totalCents: o.totalCents })),
    divergence,
    replicas: DATABASES.map((db): ReplicaCoverage => ({
      database: db,
      name: snapshot[db].name,
      read: snapshot[db].replicas.map((r) => r.replica),
      unreachable: snapshot[db].unreachable,
    })),
    repaired,
  };
}

function replicaNames(snapshot: StackSnapshot): string[] {
  const names = new Set<string>();
  for (const db of DATABASES) snapshot[db].replicas.forEach((r) => names.add(r.replica));
  return [...names].sort();
}

function versionList(d: Disagreement): { replica: string; version: string | null }[] {
  return d.versions.map((v) => ({
    replica: v.replica,
    version: v.version ? formatVersion(v.version) : null,
  }));
}

function versionsText(d: Disagreement): string {
  return versionList(d)
    .map((v) => `${v.replica} ${v.version ?? 'missing'}`)
    .join(', ');
}
