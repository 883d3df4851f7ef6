/**
 * kill -9 of the order leader under load, several times over.
 *
 *   orders flow ─▶ SIGKILL leader ─▶ lease expires ─▶ successor fences, reloads open sagas with a
 *   quorum read, re-drives them ─▶ killed replica restarted (rejoins as a follower) ─▶ again
 *
 * A SIGKILL gives the leader no chance to hand over: whatever it had persisted but not yet sent,
 * or sent but not yet recorded, is the successor's to finish from the replicas alone. Checks:
 * every order accepted with 202 ends COMPLETED or CANCELLED, and the auditor finds no double
 * charge or reservation, no lost or uncompensated effect, and balanced money and stock.
 */
import type { AuditReport } from '@seamline/audit';
import type { StackEndpoints, StackOptions } from '../../infra/stack/index.ts';
import { restartProcess, signalProcess, waitFor } from '../../infra/stack/index.ts';
import { startChaosPipeline } from '../support/chaos-pipeline.ts';
import { OrderLoad } from '../support/order-load.ts';
import { waitForOrderLeader } from '../support/order-leader.ts';
import type { ScenarioContext } from '../support/scenario-command.ts';
import { intOption, runScenarioCommand } from '../support/scenario-command.ts';
import type { Settlement } from '../support/settle.ts';
import { auditRun, settle, settlementFailures } from '../support/settle.ts';

export const describe = 'SIGKILL the order leader under load (repeatedly); no saga lost or doubled';

export interface KillLeaderOptions {
  readonly stack: StackEndpoints;
  readonly stackOptions?: StackOptions;
  readonly seed: number;
  /** @default 2 */
  readonly kills?: number;
  /** @default 15 */
  readonly ratePerSec?: number;
  /** Orders accepted between two kills. @default 15 */
  readonly ordersBetween?: number;
  readonly orderEnv?: Record<string, string>;
  /** @default 90_000 */
  readonly settleTimeoutMs?: number;
  readonly keep?: boolean;
  readonly log?: (line: string) => void;
}

export interface KillRound {
  readonly killed: string;
  readonly token: number;
  readonly successor: string;
  readonly successorToken: number;
  /** From the SIGKILL to the successor answering /health/ready as leader. */
  readonly takeoverMs: number;
}

export interface KillLeaderResult {
  readonly runId: string;
  readonly rounds: readonly KillRound[];
  readonly load: ReturnType<OrderLoad['summary']>;
  readonly settlement: Settlement;
  readonly audit: AuditReport;
  readonly auditText: string;
  readonly failures: readonly string[];
}

export async function killLeader(o: KillLeaderOptions): Promise<KillLeaderResult> {
  const log = o.log ?? (() => {});
  const p = await startChaosPipeline({
    stack: o.stack,
    ...(o.stackOptions === undefined ? {} : { stackOptions: o.stackOptions }),
    ...(o.orderEnv === undefined ? {} : { orderEnv: o.orderEnv }),
    log,
  });
  const load = new OrderLoad({
    targets: () => p.orders.map((r) => r.url),
    ratePerSec: o.ratePerSec ?? 15,
    seed: o.seed,
    keyPrefix: `${p.runId}-kill`,
    fixture: p.fixture,
  });
  const between = o.ordersBetween ?? 15;
  const rounds: KillRound[] = [];
  try {
    load.start();
    for (let i = 0; i < (o.kills ?? 2); i++) {
      const target = load.summary().accepted + between;
      await waitFor(() => load.summary().accepted >= target, {
        what: `${between} more orders to be accepted`,
        timeoutMs: 90_000,
      });
      const leader = await waitForOrderLeader(p);
      const killedAt = Date.now();
      await signalProcess(leader.name, 'kill', p.stackOptions);
      log(`round ${i + 1}: SIGKILL ${leader.name} (token ${leader.token}) with orders in flight`);
      const next = await waitForOrderLeader(p, { aboveToken: leader.token!, exclude: leader.name });
      const takeoverMs = Date.now() - killedAt;
      log(`round ${i + 1}: ${next.name} leads with token ${next.token} after ${takeoverMs} ms`);
      rounds.push({
        killed: leader.name,
        token: leader.token!,
        successor: next.name,
        successorToken: next.token!,
        takeoverMs,
      });
      await restartProcess(leader.name, p.stackOptions);
      log(`round ${i + 1}: ${leader.name} restarted as a follower`);
    }
    const target = load.summary().accepted + between;
    await waitFor(() => load.summary().accepted >= target, {
      what: 'orders to flow after the last kill',
      timeoutMs: 90_000,
    });
    await load.stop();
    const settlement = await settle(p, load.acceptedIds(), o.settleTimeoutMs ?? 90_000);
    const { report, text } = await auditRun(p);
    log(`auditor:\n${text}`);
    const failures = settlementFailures(settlement, report);
    return {
      runId: p.runId,
      rounds,
      load: load.summary(),
      settlement,
      audit: report,
      auditText: text,
      failures,
    };
  } finally {
    await load.stop();
    await p.stop({ keepData: o.keep ?? false });
  }
}

export function run(argv: string[]): Promise<number> {
  return runScenarioCommand(argv, {
    name: 'kill-leader',
    usage: '[--kills N] [--rate N]',
    options: { kills: { type: 'string' }, rate: { type: 'string' } },
    run: async (ctx: ScenarioContext) => {
      const r = await killLeader({
        stack: ctx.stack,
        stackOptions: ctx.stackOptions,
        seed: ctx.seed,
        kills: intOption(ctx.values.kills, 'kills', 2),
        ratePerSec: intOption(ctx.values.rate, 'rate', 15),
        keep: ctx.keep,
        log: ctx.log,
      });
      ctx.log(`rounds ${JSON.stringify(r.rounds)}; orders ${JSON.stringify(r.load)}`);
      for (const f of r.failures) ctx.log(`FAILED: ${f}`);
      return r.failures.length === 0;
    },
  });
}
