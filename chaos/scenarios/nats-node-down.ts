/**
 * One NATS node killed: election and the pipeline must carry on with the remaining two.
 *
 *   orders flow ─▶ SIGKILL the node leading the election bucket's stream (its Raft group must
 *   elect a new leader; clients on that node reconnect elsewhere) ─▶ orders keep completing ─▶
 *   SIGKILL the order leader too, so an election has to run on two nodes ─▶ successor leads ─▶
 *   node and replica restarted ─▶ drain and audit
 *
 * Streams and the KV bucket are R3, so two nodes are a majority: every publish, every lease
 * renewal and every campaign still commits. Checks: a new order leader is elected while the node
 * is down, orders are accepted and finished during the outage, every accepted order finishes and
 * the auditor is clean.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { AuditReport } from '@seamline/audit';
import type { StackEndpoints, StackOptions } from '../../infra/stack/index.ts';
import { restartProcess, signalProcess, waitFor } from '../../infra/stack/index.ts';
import { startChaosPipeline } from '../support/chaos-pipeline.ts';
import type { ChaosPipeline } from '../support/chaos-pipeline.ts';
import { OrderLoad } from '../support/order-load.ts';
import { waitForOrderLeader } from '../support/order-leader.ts';
import type { ScenarioContext } from '../support/scenario-command.ts';
import { intOption, runScenarioCommand } from '../support/scenario-command.ts';
import type { Settlement } from '../support/settle.ts';
import { auditRun, settle, settlementFailures } from '../support/settle.ts';

export const describe =
  'SIGKILL a NATS node (the election stream leader); election and pipeline go on';

export interface NatsNodeDownOptions {
  readonly stack: StackEndpoints;
  readonly stackOptions?: StackOptions;
  readonly seed: number;
  /** @default 10 */
  readonly ratePerSec?: number;
  /** Orders accepted (and finished) while the node is down. @default 15 */
  readonly ordersDuringOutage?: number;
  readonly orderEnv?: Record<string, string>;
  /** @default 90_000 */
  readonly settleTimeoutMs?: number;
  readonly keep?: boolean;
  readonly log?: (line: string) => void;
}

export interface NatsNodeDownResult {
  readonly runId: string;
  readonly node: string;
  readonly failover: { killed: string; successor: string; takeoverMs: number };
  readonly acceptedDuringOutage: number;
  readonly finishedDuringOutage: number;
  readonly load: ReturnType<OrderLoad['summary']>;
  readonly settlement: Settlement;
  readonly audit: AuditReport;
  readonly auditText: string;
  readonly failures: readonly string[];
}

/** The NATS server (= supervisor process name) leading the run's election bucket stream. */
async function electionStreamLeader(p: ChaosPipeline): Promise<string> {
  const nc = await connect({ servers: p.stack.nats });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(`KV_${p.busPrefix}-election`);
    const leader = info.cluster?.leader;
    if (leader === undefined) throw new Error('the election stream reports no leader');
    return leader;
  } finally {
    await nc.close();
  }
}

export async function natsNodeDown(o: NatsNodeDownOptions): Promise<NatsNodeDownResult> {
  const log = o.log ?? (() => {});
  const p = await startChaosPipeline({
    stack: o.stack,
    ...(o.stackOptions === undefined ? {} : { stackOptions: o.stackOptions }),
    ...(o.orderEnv === undefined ? {} : { orderEnv: o.orderEnv }),
    log,
  });
  if (p.stack.nats.length < 3) throw new Error('needs the 3-node NATS cluster (not single mode)');
  const load = new OrderLoad({
    targets: () => p.orders.map((r) => r.url),
    ratePerSec: o.ratePerSec ?? 10,
    seed: o.seed,
    keyPrefix: `${p.runId}-nats`,
    fixture: p.fixture,
  });
  const during = o.ordersDuringOutage ?? 15;
  let node: string | undefined;
  try {
    load.start();
    await waitFor(() => load.summary().accepted >= 10, {
      what: 'warm-up orders',
      timeoutMs: 60_000,
    });
    node = await electionStreamLeader(p);
    await signalProcess(node, 'kill', p.stackOptions);
    const downAt = Date.now();
    log(`SIGKILL ${node}, leader of the election stream; two NATS nodes left`);

    const acceptedBefore = load.summary().accepted;
    const leader = await waitForOrderLeader(p, { timeoutMs: 60_000 });
    await signalProcess(leader.name, 'kill', p.stackOptions);
    const killedAt = Date.now();
    const next = await waitForOrderLeader(p, {
      aboveToken: leader.token!,
      exclude: leader.name,
      timeoutMs: 60_000,
    });
    const takeoverMs = Date.now() - killedAt;
    log(
      `order leader ${leader.name} killed too; ${next.name} elected on two nodes in ${takeoverMs} ms`,
    );
    await restartProcess(leader.name, p.stackOptions);

    await waitFor(() => load.summary().accepted >= acceptedBefore + during, {
      what: `${during} orders accepted with ${node} down`,
      timeoutMs: 90_000,
    });
    const outageAccepted = load
      .orders()
      .filter((x) => x.fate === 'accepted')
      .slice(acceptedBefore);
    const outageSettled = await settle(
      p,
      outageAccepted.map((x) => x.orderId),
      60_000,
    );
    const acceptedDuringOutage = outageAccepted.length;
    const finishedDuringOutage = outageSettled.terminal;
    log(
      `with ${node} down for ${Date.now() - downAt} ms: ${acceptedDuringOutage} orders accepted, ` +
        `${finishedDuringOutage} finished`,
    );
    await restartProcess(node, p.stackOptions);
    log(`${node} restarted`);

    await load.stop();
    const settlement = await settle(p, load.acceptedIds(), o.settleTimeoutMs ?? 90_000);
    const { report, text } = await auditRun(p);
    log(`auditor:\n${text}`);
    const failures: string[] = [];
    // The pipeline must keep finishing orders on two nodes; on a loaded machine the tail of
    // the outage's orders may finish only after the node is back, which the settlement checks.
    if (finishedDuringOutage < Math.min(15, acceptedDuringOutage))
      failures.push(
        `only ${finishedDuringOutage}/${acceptedDuringOutage} outage orders finished while the node was down`,
      );
    failures.push(...settlementFailures(settlement, report));
    return {
      runId: p.runId,
      node,
      failover: { killed: leader.name, successor: next.name, takeoverMs },
      acceptedDuringOutage,
      finishedDuringOutage,
      load: load.summary(),
      settlement,
      audit: report,
      auditText: text,
      failures,
    };
  } finally {
    await load.stop();
    // Never leave the stack one node short, whatever failed.
    if (node !== undefined) await restartProcess(node, p.stackOptions).catch(() => {});
    await p.stop({ keepData: o.keep ?? false });
  }
}

export function run(argv: string[]): Promise<number> {
  return runScenarioCommand(argv, {
    name: 'nats-node-down',
    usage: '[--rate N]',
    options: { rate: { type: 'string' } },
    run: async (ctx: ScenarioContext) => {
      const r = await natsNodeDown({
        stack: ctx.stack,
        stackOptions: ctx.stackOptions,
        seed: ctx.seed,
        ratePerSec: intOption(ctx.values.rate, 'rate', 10),
        keep: ctx.keep,
        log: ctx.log,
      });
      ctx.log(`failover ${JSON.stringify(r.failover)}; orders ${JSON.stringify(r.load)}`);
      for (const f of r.failures) ctx.log(`FAILED: ${f}`);
      return r.failures.length === 0;
    },
  });
}
