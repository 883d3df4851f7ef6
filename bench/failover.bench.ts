/**
 * Failover time of the order orchestrator: from the instant the leader is paused (SIGSTOP) or
 * killed (SIGKILL) to the first saga step its successor drives, over many trials, under load.
 *
 *   node --import tsx bench/failover.bench.ts [--trials 30] [--mode pause|kill] [--rate 10]
 *        [--lease-ms N --renew-ms N --margin-ms N] [--seed N]
 *
 * "First saga step" is read from the replicas, not from a probe: the earliest saga history entry
 * in an order record written under the successor's token that is stamped at or after the
 * successor's own "elected leader" log line (so it cannot be a step the old leader stamped in the
 * last milliseconds before the signal landed): the successor's re-drive of an open saga, or an
 * order it accepted. Every service runs on this host, so their wall clocks are ours. The clock
 * starts just before the signal is sent, so signalling latency counts against the figure. The run ends with the invariant auditor, so a fast
 * failover that lost or doubled anything cannot pass for a good figure.
 */
import { parseArgs } from 'node:util';
import { startChaosPipeline } from '../chaos/support/chaos-pipeline.ts';
import type { ChaosPipeline } from '../chaos/support/chaos-pipeline.ts';
import { OrderLoad } from '../chaos/support/order-load.ts';
import { orderReplicas, waitForOrderLeader } from '../chaos/support/order-leader.ts';
import { readOrderTruth } from '../chaos/support/order-store-view.ts';
import { parseSeed } from '../chaos/support/seeded-random.ts';
import type { LogLine } from '../chaos/support/service-log.ts';
import { LogCursor } from '../chaos/support/service-log.ts';
import { auditRun, settle } from '../chaos/support/settle.ts';
import { stackOptionsFromEnv } from '../infra/stack/env-options.ts';
import {
  endpoints,
  holdStack,
  restartProcess,
  signalProcess,
  waitFor,
} from '../infra/stack/index.ts';
import { percentile } from './load-stats.ts';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '30' },
    mode: { type: 'string', default: 'pause' },
    rate: { type: 'string', default: '10' },
    'lease-ms': { type: 'string' },
    'renew-ms': { type: 'string' },
    'margin-ms': { type: 'string' },
    seed: { type: 'string' },
  },
});
const trials = Number(values.trials);
const mode = values.mode;
if (!Number.isInteger(trials) || trials < 1) throw new TypeError('--trials must be >= 1');
if (mode !== 'pause' && mode !== 'kill') throw new TypeError('--mode must be pause or kill');
const seed = parseSeed(values.seed);
const orderEnv: Record<string, string> = {};
if (values['lease-ms']) orderEnv.SEAMLINE_LEASE_MS = values['lease-ms'];
if (values['renew-ms']) orderEnv.SEAMLINE_RENEW_MS = values['renew-ms'];
if (values['margin-ms']) orderEnv.SEAMLINE_LEASE_MARGIN_MS = values['margin-ms'];
const log = (line: string) => process.stdout.write(`[failover] ${line}\n`);
log(`seed ${seed}; ${trials} trials, mode ${mode}, order env ${JSON.stringify(orderEnv)}`);

interface Trial {
  readonly from: string;
  readonly to: string;
  /** Successor's own "elected leader" log line. */
  readonly electedMs: number;
  /** First saga step stamped by the successor. */
  readonly firstStepMs: number;
}

/** The earliest history entry at or after `since` in a record written under `token` or later. */
async function firstStepSince(p: ChaosPipeline, token: number, since: number) {
  let first = Infinity;
  for (const rec of (await readOrderTruth(p)).values()) {
    if (rec.version.fence < token || !rec.key.startsWith('order:')) continue;
    const history = (rec.value as { history?: { at: number }[] }).history ?? [];
    for (const h of history) if (h.at >= since && h.at < first) first = h.at;
  }
  return Number.isFinite(first) ? first : undefined;
}

/**
 * One failover. Void (not counted, but reported) when leadership moved on its own around the
 * signal: the "leader" we paused had already lost its lease, so nothing of ours was measured.
 */
async function trial(p: ChaosPipeline, n: number): Promise<Trial | { void: string }> {
  const logs = (await orderReplicas(p)).map((r) => ({
    name: r.name,
    log: new LogCursor(r.logPath),
  }));
  // Start from a settled cluster: one leader, every other replica reachable and following.
  const leader = await waitForOrderLeader(p);
  await waitFor(
    async () =>
      (await orderReplicas(p)).every((r) => r.reachable && r.leader === (r.name === leader.name)),
    { what: 'every order replica to follow the leader', timeoutMs: 30_000, intervalMs: 25 },
  );
  const t0 = Date.now();
  await signalProcess(leader.name, mode === 'pause' ? 'pause' : 'kill', p.stackOptions);
  const next = await waitForOrderLeader(p, {
    aboveToken: leader.token!,
    exclude: leader.name,
    intervalMs: 10,
  });
  const restore = () =>
    mode === 'pause'
      ? signalProcess(leader.name, 'resume', p.stackOptions)
      : restartProcess(leader.name, p.stackOptions);
  const line = (name: string, match: (l: LogLine) => boolean) =>
    logs.find((l) => l.name === name)!.log.matching(match)[0]?.line;
  const elected = await waitFor(
    () => line(next.name, (l) => l.msg === 'elected leader' && l.token === next.token),
    { what: 'the election line', timeoutMs: 10_000, intervalMs: 20 },
  ).catch(() => undefined);
  const lostEarly = line(
    leader.name,
    (l) => l.msg === 'lost leadership' && Date.parse(String(l.time)) < t0,
  );
  const electedAt = elected === undefined ? Number.NaN : Date.parse(String(elected.time));
  if (lostEarly !== undefined || !(electedAt >= t0)) {
    await restore();
    const why = `leadership had moved before the signal (${String(lostEarly?.reason ?? 'successor elected first')})`;
    log(`trial ${n}: void, ${why}`);
    return { void: why };
  }
  const step = await waitFor(() => firstStepSince(p, next.token!, electedAt), {
    what: `a saga step by ${next.name}`,
    timeoutMs: 30_000,
    intervalMs: 20,
  });
  await restore();
  const t: Trial = {
    from: leader.name,
    to: next.name,
    electedMs: electedAt - t0,
    firstStepMs: step - t0,
  };
  log(
    `trial ${n}: ${t.from} -> ${t.to}: elected ${t.electedMs} ms, first step ${t.firstStepMs} ms`,
  );
  return t;
}

const stackOptions = stackOptionsFromEnv();
const hold = await holdStack({
  ...stackOptions,
  purpose: 'bench failover',
  log: (l) => log(`stack: ${l}`),
});
let exitCode = 0;
try {
  const p = await startChaosPipeline({
    stack: endpoints(stackOptions),
    stackOptions,
    orderEnv,
    log,
  });
  const load = new OrderLoad({
    targets: () => p.orders.map((r) => r.url),
    ratePerSec: Number(values.rate),
    seed,
    keyPrefix: `${p.runId}-bench`,
    fixture: p.fixture,
  });
  try {
    load.start();
    await waitFor(() => load.summary().accepted >= 10, {
      what: 'warm-up orders',
      timeoutMs: 60_000,
    });
    const results: Trial[] = [];
    let voided = 0;
    // Counted trials only; a voided one is repeated (at most as many times as requested).
    for (let i = 1; results.length < trials && i <= 2 * trials; i++) {
      const r = await trial(p, i);
      if ('void' in r) voided += 1;
      else results.push(r);
    }
    await load.stop();
    const settlement = await settle(p, load.acceptedIds(), 120_000);
    const { report } = await auditRun(p);
    const stats = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return { p50: percentile(s, 50), p99: percentile(s, 99), max: s.at(-1) ?? NaN };
    };
    const first = stats(results.map((r) => r.firstStepMs));
    const elected = stats(results.map((r) => r.electedMs));
    log(
      `orders ${JSON.stringify(load.summary())}; unfinished ${settlement.unfinished.length}; audit ${report.ok ? 'clean' : `${report.violations.length} violations`}`,
    );
    log(
      `first successor step (ms): p50 ${first.p50}  p99 ${first.p99}  max ${first.max}  (n=${results.length})`,
    );
    log(`voided trials (leadership moved on its own before the signal): ${voided}`);
    log(
      `successor elected, by its log (ms): p50 ${elected.p50}  p99 ${elected.p99}  max ${elected.max}`,
    );
    process.stdout.write(
      `\n| ${mode} | ${JSON.stringify(orderEnv)} | ${results.length} | ${first.p50} | ${first.p99} | ${first.max} | ${elected.p50} / ${elected.p99} | ${voided} | ${report.ok && settlement.unfinished.length === 0 ? 'clean' : 'VIOLATIONS'} |\n`,
    );
    if (!report.ok || settlement.unfinished.length > 0) exitCode = 1;
  } finally {
    await load.stop();
    await p.stop();
  }
} catch (err) {
  log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  exitCode = 2;
} finally {
  await hold.release().catch(() => {});
}
process.exit(exitCode);
