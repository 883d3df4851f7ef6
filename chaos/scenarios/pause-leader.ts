/**
 * The paused-leader scenario (design brief, failure scenario 1).
 *
 *   orders flow ─▶ leader L1 (token T1) decides a write ─▶ SIGSTOP  (inside that window)
 *                  lease runs out ─▶ L2 elected (T2 > T1), fences the replicas, drives sagas on
 *   SIGCONT L1 ─▶ its write goes out with T1 ─▶ every replica refuses it ─▶ L1 logs, steps down
 *
 * Why the pause is placed from inside: a SIGSTOP sent at a random instant usually catches the
 * leader idle, and on SIGCONT the event loop handles buffered socket input (the KV watch saying
 * "superseded") before any timer, so the old leader steps down without writing again and the
 * fence is never exercised. The order replicas run with the test switch SEAMLINE_CHAOS_STALL=
 * create: SIGUSR2 arms it and the leader SIGSTOPs itself synchronously after deciding to persist
 * a new order under T1 and before sending that write, the classic "GC pause between the lease
 * check and the write". Everything after that is a plain external pause and resume.
 *
 * Checks: the old leader's write was rejected (log line with both tokens and the saga, metric
 * seamline_fencing_rejections_total); no write of an older token landed after the new fence;
 * nothing the new leader wrote went back; every accepted order finishes; the auditor is clean.
 * With --no-fencing (SEAMLINE_UNSAFE_NO_FENCING=on) the same run must fail those checks.
 */
import type { AuditReport } from '@seamline/audit';
import type { StackEndpoints, StackOptions } from '../../infra/stack/index.ts';
import { readStatus, signalProcess, waitFor } from '../../infra/stack/index.ts';
import { startChaosPipeline } from '../support/chaos-pipeline.ts';
import { metricSum } from '../support/metrics-text.ts';
import { OrderLoad } from '../support/order-load.ts';
import { orderReplicas, readOrderLease, waitForOrderLeader } from '../support/order-leader.ts';
import type { FenceBreach } from '../support/order-store-view.ts';
import {
  installedFences,
  newLeaderStateLost,
  readOrderTruth,
  staleWritesLanded,
  writtenWith,
} from '../support/order-store-view.ts';
import type { ScenarioContext } from '../support/scenario-command.ts';
import { intOption, runScenarioCommand } from '../support/scenario-command.ts';
import type { LogLine } from '../support/service-log.ts';
import { isFencingRejection, LogCursor, WRITE_STALLED } from '../support/service-log.ts';
import type { Settlement } from '../support/settle.ts';
import { auditRun, settle, settlementFailures } from '../support/settle.ts';

export const describe =
  'SIGSTOP the order leader mid-write past its lease; its stale write must be fenced off';

export interface PauseLeaderOptions {
  readonly stack: StackEndpoints;
  readonly stackOptions?: StackOptions;
  readonly seed: number;
  /** false = SEAMLINE_UNSAFE_NO_FENCING=on, to show the checks catch the damage. @default true */
  readonly fencing?: boolean;
  /** Extra environment of the order replicas (e.g. lease timing). @default {} */
  readonly orderEnv?: Record<string, string>;
  /** @default 10 */
  readonly ratePerSec?: number;
  /** Orders accepted before the pause. @default 15 */
  readonly warmupOrders?: number;
  /** Order records the successor must have written before the old leader resumes. @default 5 */
  readonly successorWrites?: number;
  /** @default 60_000 */
  readonly settleTimeoutMs?: number;
  readonly keep?: boolean;
  readonly log?: (line: string) => void;
}

export interface PauseLeaderResult {
  readonly runId: string;
  readonly oldLeader: { name: string; token: number };
  readonly newLeader: { name: string; token: number };
  readonly pausedMs: number;
  readonly leaseMs: number;
  /** The old leader's own line saying which write it stopped in front of. */
  readonly stalledWrite: LogLine;
  /** What the client of the stalled order was told: refused and retried, or accepted at once. */
  readonly stalledOrder: { fate: string; attempts: number } | undefined;
  /** The old leader's fencing-rejection lines, verbatim. */
  readonly rejections: readonly string[];
  readonly rejectionsCounted: number;
  readonly staleWrites: readonly FenceBreach[];
  readonly overwritten: readonly FenceBreach[];
  readonly settlement: Settlement;
  readonly audit: AuditReport;
  readonly auditText: string;
  readonly load: ReturnType<OrderLoad['summary']>;
  readonly failures: readonly string[];
}

export async function pauseLeader(o: PauseLeaderOptions): Promise<PauseLeaderResult> {
  const log = o.log ?? (() => {});
  const fencing = o.fencing ?? true;
  const p = await startChaosPipeline({
    stack: o.stack,
    ...(o.stackOptions === undefined ? {} : { stackOptions: o.stackOptions }),
    orderEnv: {
      SEAMLINE_CHAOS_STALL: 'create',
      ...(fencing ? {} : { SEAMLINE_UNSAFE_NO_FENCING: 'on' }),
      ...o.orderEnv,
    },
    log,
  });
  const load = new OrderLoad({
    targets: () => p.orders.map((r) => r.url),
    ratePerSec: o.ratePerSec ?? 10,
    seed: o.seed,
    keyPrefix: `${p.runId}-pause`,
    fixture: p.fixture,
  });
  try {
    const l1 = await waitForOrderLeader(p);
    const t1 = l1.token!;
    log(`leader ${l1.name} (pid ${l1.pid}) leads with token ${t1}; orders flowing`);
    load.start();
    await waitFor(() => load.summary().accepted >= (o.warmupOrders ?? 15), {
      what: 'warm-up orders to be accepted',
      timeoutMs: 60_000,
    });

    const l1log = new LogCursor(l1.logPath);
    process.kill(l1.pid, 'SIGUSR2');
    await waitFor(
      () => readStatus(p.stackOptions).processes.find((r) => r.name === l1.name)?.live === 'paused',
      {
        what: `${l1.name} to stop itself before its next write`,
        timeoutMs: 20_000,
        intervalMs: 10,
      },
    );
    const pausedAt = Date.now();
    const { leaseMs } = await readOrderLease(p);
    log(`${l1.name} stopped itself (SIGSTOP) right before a fenced write under token ${t1}`);

    let successor = await waitForOrderLeader(p, { aboveToken: t1, exclude: l1.name });
    log(
      `${successor.name} took over with token ${successor.token} after ${Date.now() - pausedAt} ms`,
    );
    await waitFor(
      async () => {
        // Two candidates can both win a round on a loaded machine (the lease KV is not what
        // keeps the writes safe, ADR 0005): follow whichever replica leads now.
        const now = await waitForOrderLeader(p, {
          aboveToken: t1,
          exclude: l1.name,
          timeoutMs: 5_000,
        }).catch(() => undefined);
        if (now === undefined) return false;
        if (now.name !== successor.name || now.token !== successor.token) {
          log(`${now.name} leads now, with token ${now.token}`);
          successor = now;
        }
        const fences = await installedFences(p);
        if (Object.values(fences).some((f) => f < now.token!)) return false;
        return writtenWith(await readOrderTruth(p), now.token!) >= (o.successorWrites ?? 5);
      },
      {
        what: 'the successor to fence every replica and advance sagas',
        timeoutMs: 30_000,
        intervalMs: 50,
      },
    );
    const l2 = successor;
    const t2 = l2.token!;
    // Longer than a whole lease, not just its remainder, whatever the successor's speed.
    await waitFor(() => Date.now() - pausedAt > leaseMs, {
      what: `the pause to outlast the ${leaseMs} ms lease`,
      timeoutMs: leaseMs + 1_000,
      intervalMs: 20,
    });
    const before = await readOrderTruth(p);
    log(
      `${l2.name} fenced all replicas at ${t2} and wrote ${writtenWith(before, t2)} order records`,
    );

    await signalProcess(l1.name, 'resume', p.stackOptions);
    const pausedMs = Date.now() - pausedAt;
    log(`${l1.name} resumed (SIGCONT) after ${pausedMs} ms (lease ${leaseMs} ms)`);
    // pino may still hold the stall line in its buffer when the process stops itself.
    const stalled = (await l1log.waitFor((l) => l.msg === WRITE_STALLED, 'the stall line', 10_000))
      .line;
    log(`its pending write: persist new order ${String(stalled.sagaId)} under token ${t1}`);
    if (fencing) {
      await l1log.waitFor(isFencingRejection, `${l1.name} to log the fencing rejection`, 20_000);
    }
    await waitFor(
      async () => {
        const me = (await orderReplicas(p)).find((r) => r.name === l1.name);
        return me?.reachable === true && !me.leader;
      },
      { what: `${l1.name} to stop leading`, timeoutMs: 20_000, intervalMs: 25 },
    );
    // The stalled request is answered once the old leader's write is settled either way: 503
    // after the rejection (the client retries), or 202 if the write was (wrongly) accepted.
    const stalledOrder = load.orders().find((x) => x.orderId === stalled.sagaId);
    await waitFor(
      () =>
        stalledOrder === undefined || stalledOrder.fate !== 'pending' || stalledOrder.attempts > 1,
      {
        what: 'the stalled request to be answered',
        timeoutMs: 20_000,
      },
    );
    const after = await readOrderTruth(p);
    const rejections = l1log.matching(isFencingRejection).map((m) => m.raw);
    const rejectionsCounted = await metricSum(l1.url, 'seamline_fencing_rejections_total');
    for (const raw of rejections) log(`rejected: ${raw}`);

    await waitFor(() => load.summary().accepted >= (o.warmupOrders ?? 15) + 10, {
      what: 'orders to flow again after the takeover',
      timeoutMs: 60_000,
    });
    await load.stop();
    const settlement = await settle(p, load.acceptedIds(), o.settleTimeoutMs ?? 60_000);
    const { report, text } = await auditRun(p);
    log(`auditor:\n${text}`);

    const staleWrites = staleWritesLanded(before, after, t2);
    const overwritten = newLeaderStateLost(before, after, t2);
    const failures: string[] = [];
    const rejectedSagas = rejections.map((raw) => (JSON.parse(raw) as LogLine).sagaId);
    if (!rejectedSagas.includes(stalled.sagaId))
      failures.push(
        `the write the old leader stopped in front of (${String(stalled.sagaId)}) was not rejected`,
      );
    if (rejections.length === 0)
      failures.push('no write of the old leader was rejected by the fencing check');
    if (rejectionsCounted < 1)
      failures.push('seamline_fencing_rejections_total did not count a rejection');
    for (const b of staleWrites)
      failures.push(
        `a write under an old token landed after the fence: ${b.key} ${b.before} -> ${b.after}`,
      );
    for (const b of overwritten)
      failures.push(
        `state written by the new leader went back: ${b.key} ${b.before} -> ${b.after}`,
      );
    failures.push(...settlementFailures(settlement, report));
    return {
      runId: p.runId,
      oldLeader: { name: l1.name, token: t1 },
      newLeader: { name: l2.name, token: t2 },
      pausedMs,
      leaseMs,
      stalledWrite: stalled,
      stalledOrder:
        stalledOrder === undefined
          ? undefined
          : { fate: stalledOrder.fate, attempts: stalledOrder.attempts },
      rejections,
      rejectionsCounted,
      staleWrites,
      overwritten,
      settlement,
      audit: report,
      auditText: text,
      load: load.summary(),
      failures,
    };
  } finally {
    await load.stop();
    await p.stop({ keepData: o.keep ?? false });
  }
}

export function run(argv: string[]): Promise<number> {
  return runScenarioCommand(argv, {
    name: 'pause-leader',
    usage: '[--no-fencing] [--rate N] [--lease-ms N --renew-ms N]',
    options: {
      'no-fencing': { type: 'boolean', default: false },
      rate: { type: 'string' },
      'lease-ms': { type: 'string' },
      'renew-ms': { type: 'string' },
    },
    run: async (ctx: ScenarioContext) => {
      const orderEnv: Record<string, string> = {};
      if (ctx.values['lease-ms'] !== undefined)
        orderEnv.SEAMLINE_LEASE_MS = String(intOption(ctx.values['lease-ms'], 'lease-ms', 0));
      if (ctx.values['renew-ms'] !== undefined)
        orderEnv.SEAMLINE_RENEW_MS = String(intOption(ctx.values['renew-ms'], 'renew-ms', 0));
      const r = await pauseLeader({
        stack: ctx.stack,
        stackOptions: ctx.stackOptions,
        seed: ctx.seed,
        fencing: ctx.values['no-fencing'] !== true,
        orderEnv,
        ratePerSec: intOption(ctx.values.rate, 'rate', 10),
        keep: ctx.keep,
        log: ctx.log,
      });
      ctx.log(
        `old leader ${r.oldLeader.name} (token ${r.oldLeader.token}) paused ${r.pausedMs} ms; ` +
          `new leader ${r.newLeader.name} (token ${r.newLeader.token}); ` +
          `rejections logged ${r.rejections.length}, counted ${r.rejectionsCounted}; ` +
          `orders ${JSON.stringify(r.load)}`,
      );
      for (const f of r.failures) ctx.log(`FAILED: ${f}`);
      return r.failures.length === 0;
    },
  });
}
