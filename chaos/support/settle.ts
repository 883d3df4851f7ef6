/**
 * The end of every chaos run: wait (on a condition, with a deadline) until every order the
 * clients were told was accepted has reached COMPLETED or CANCELLED in the replicas, then run the
 * invariant auditor over the run's three databases.
 */
import type { AuditReport } from '@seamline/audit';
import { auditStack, renderReport } from '@seamline/audit';
import { WaitTimeoutError, waitFor } from '../../infra/stack/index.ts';
import type { ChaosPipeline } from './chaos-pipeline.ts';
import { readOrderTruth } from './order-store-view.ts';

export interface Settlement {
  /** Accepted orders that are not terminal (missing ones included) when the wait ended. */
  readonly unfinished: readonly { orderId: string; status: string }[];
  readonly terminal: number;
  readonly byStatus: Record<string, number>;
}

const TERMINAL = new Set(['COMPLETED', 'CANCELLED']);

async function check(p: ChaosPipeline, accepted: readonly string[]): Promise<Settlement> {
  const truth = await readOrderTruth(p);
  const unfinished: { orderId: string; status: string }[] = [];
  const byStatus: Record<string, number> = {};
  let terminal = 0;
  for (const orderId of accepted) {
    const status = truth.get(`order:${orderId}`)?.tag ?? 'MISSING';
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    if (TERMINAL.has(status)) terminal += 1;
    else unfinished.push({ orderId, status });
  }
  return { unfinished, terminal, byStatus };
}

/** Waits until every accepted order is terminal; returns what is still open at the deadline. */
export async function settle(
  p: ChaosPipeline,
  accepted: readonly string[],
  timeoutMs = 60_000,
): Promise<Settlement> {
  let last: Settlement | undefined;
  try {
    return await waitFor(
      async () => {
        last = await check(p, accepted);
        return last.unfinished.length === 0 ? last : undefined;
      },
      { what: `${accepted.length} accepted orders to finish`, timeoutMs, intervalMs: 250 },
    );
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
    return last ?? (await check(p, accepted));
  }
}

/**
 * Waits until every order of the run in the store is terminal, acknowledged or not: a client
 * that timed out or gave up may still have created its order, and the auditor expects every
 * order finished. Returns the ones still open at the deadline.
 */
export async function settleEveryOrder(
  p: ChaosPipeline,
  timeoutMs: number,
  log: (line: string) => void = () => {},
): Promise<string[]> {
  const open = async () =>
    [...(await readOrderTruth(p)).values()]
      .filter((r) => r.key.startsWith('order:') && !TERMINAL.has(r.tag ?? ''))
      .map((r) => r.key);
  const left = await waitFor(async () => ((await open()).length === 0 ? [] : undefined), {
    what: 'every order of the run to finish',
    timeoutMs,
    intervalMs: 250,
  }).catch(() => open());
  if (left.length > 0) log(`${left.length} orders still open: ${left.join(', ')}`);
  return left;
}

/** The failures every run reports: accepted orders that never finished, auditor violations. */
export function settlementFailures(settlement: Settlement, report: AuditReport): string[] {
  return [
    ...settlement.unfinished.map((u) => `accepted order ${u.orderId} did not finish (${u.status})`),
    ...report.violations.map((v) => `auditor: ${v.rule} ${v.key}: ${v.detail}`),
  ];
}

/** The auditor over the run's databases: anti-entropy first, every order must be terminal. */
export async function auditRun(p: ChaosPipeline): Promise<{ report: AuditReport; text: string }> {
  const report = await auditStack({
    postgres: p.stack.postgres,
    databases: p.databases,
    expectTerminal: true,
    repair: true,
  });
  return { report, text: renderReport(report) };
}
