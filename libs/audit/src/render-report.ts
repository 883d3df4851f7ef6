import type { AuditReport, Invariant } from './audit-report.ts';

/**
 * The human summary of an audit: verdict first, then coverage, counts, and the violations
 * grouped by invariant (each list capped so a broken run does not flood the terminal; `--json`
 * has them all).
 */
export interface RenderOptions {
  /** Violations, divergent keys and open orders shown per list. @default 20 */
  readonly limit?: number;
}

const TITLES: Record<Invariant, string> = {
  'no-double-effect': 'invariant 1, no double effect',
  'no-lost-effect': 'invariant 2, no lost effect',
};

export function renderReport(report: AuditReport, options: RenderOptions = {}): string {
  const limit = options.limit ?? 20;
  const { counts } = report;
  const lines: string[] = [];
  const verdict = report.ok ? 'PASS' : `FAIL (${report.violations.length} violations)`;
  lines.push(`audit: ${verdict}${report.repaired ? ', after anti-entropy repair' : ''}`);
  for (const db of report.replicas) {
    const down = db.unreachable.map((u) => `${u.replica} UNREACHABLE (${u.reason})`);
    lines.push(
      `  ${db.name}: read ${db.read.join(', ') || 'nothing'}${down.length ? `; ${down.join('; ')}` : ''}`,
    );
  }
  const status = counts.byStatus;
  const reasons = Object.entries(counts.cancelledByReason)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  lines.push(
    `  orders ${counts.orders}: completed ${status.COMPLETED}, cancelled ${status.CANCELLED}` +
      `${reasons ? ` (${reasons})` : ''}, pending ${status.PENDING}, compensating ${status.COMPENSATING}`,
  );
  const e = counts.effects;
  lines.push(
    `  effects: ${e.reserve} reserves, ${e.release} releases, ${e.charge} charges, ${e.refund} refunds; ` +
      `duplicate effects ${counts.duplicateEffects}`,
  );
  lines.push(
    `  conservation: ${counts.accounts} accounts, ${counts.skus} skus; charged for completed orders ` +
      `${counts.completedChargedCents} of ${counts.completedTotalCents} cents`,
  );
  lines.push(
    `  replicas: ${counts.divergentKeys} divergent keys` +
      (report.repaired ? `, ${counts.repairedKeys} repaired by anti-entropy` : ' (not repaired)'),
  );
  for (const invariant of Object.keys(TITLES) as Invariant[]) {
    const list = report.violations.filter((v) => v.invariant === invariant);
    if (list.length === 0) continue;
    lines.push(`  ${TITLES[invariant]}: ${list.length} violations`);
    for (const v of list.slice(0, limit)) {
      lines.push(`    [${v.rule}] ${v.key}: ${v.detail} (seen on ${v.seenOn.join(', ')})`);
    }
    if (list.length > limit) lines.push(`    ... ${list.length - limit} more (see --json)`);
  }
  if (!report.repaired && report.divergence.length > 0) {
    lines.push(`  divergent keys (run with --repair to converge them first):`);
    for (const d of report.divergence.slice(0, limit)) {
      const versions = d.versions.map((v) => `${v.replica} ${v.version ?? 'missing'}`).join(', ');
      lines.push(`    ${d.database} ${d.domain}/${d.key}: ${versions}`);
    }
    if (report.divergence.length > limit) {
      lines.push(`    ... ${report.divergence.length - limit} more`);
    }
  }
  if (report.overLimit.length > 0) {
    lines.push(
      `  orders with a total beyond what the bus carries (refused at the order edge now; ` +
        `audited like the others): ${report.overLimit.length}`,
    );
    for (const o of report.overLimit.slice(0, limit))
      lines.push(`    ${o.orderId} ${o.status} ${o.totalCents} cents`);
    if (report.overLimit.length > limit)
      lines.push(`    ... ${report.overLimit.length - limit} more`);
  }
  if (report.nonTerminal.length > 0) {
    lines.push(`  not terminal yet: ${report.nonTerminal.length} orders`);
    for (const o of report.nonTerminal.slice(0, limit)) lines.push(`    ${o.orderId} ${o.status}`);
    if (report.nonTerminal.length > limit) {
      lines.push(`    ... ${report.nonTerminal.length - limit} more`);
    }
  }
  return `${lines.join('\n')}\n`;
}
