/**
 * The retry-storm scenario (design brief, invariant 5 and failure scenario 3): the retry budget
 * sheds excess retries, retry traffic stays bounded, the downstream recovers.
 *
 *   open-loop clients (R orders/s, retrying 409/429/5xx/timeouts with the same key)
 *     ─▶ order leader ─▶ payment.charge ──X── payment fails every charge for F seconds
 *   the orchestrator re-drives every outstanding charge after SEAMLINE_REDRIVE_AFTER_MS:
 *     budget on:  each re-drive draws a token from the `payment` budget or is shed (backs off)
 *     budget off: every outstanding charge is re-sent on every re-drive tick
 *
 * Both runs use the same pipeline, one after the other (the order replicas are restarted with
 * SEAMLINE_RETRY_BUDGET=off for the second). A wire tap beside the bus records every charge
 * command (attempt 1 = a request, attempt > 1 = a retry) and the first reply per charge; the
 * order replicas' metrics give the shed retries, payment's chaos tally the deliveries it saw.
 *
 * Checks, budget on: retries <= percentCanRetry x requests + minRetriesPerSec x ttl in every
 * window (storm-analysis.ts); some retries were shed; payment completes charges at >= 90 % of
 * its earlier rate within `recoverWithinS` of the fault's end; every accepted order finishes;
 * the auditor is clean. Budget off: the same bound is broken (the amplification is visible).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AuditReport } from '@seamline/audit';
import { parseEffectKey } from '@seamline/contracts';
import type { StackEndpoints, StackOptions } from '../../infra/stack/index.ts';
import { REPO_ROOT } from '../../infra/stack/options.ts';
import type { ChaosPipeline } from '../support/chaos-pipeline.ts';
import { startChaosPipeline } from '../support/chaos-pipeline.ts';
import { parseDuration } from '../support/durations.ts';
import { renderLoadGraph } from '../support/load-graph.ts';
import { metricSum } from '../support/metrics-text.ts';
import { awaitTerminal, placeOrder } from '../support/order-client.ts';
import { orderReplicas, waitForOrderLeader } from '../support/order-leader.ts';
import { orderIdForKey } from '../support/order-load.ts';
import { restartOrderReplicas } from '../support/order-restart.ts';
import { PipelineChaos } from '../support/pipeline-chaos.ts';
import type { ScenarioContext } from '../support/scenario-command.ts';
import { intOption, runScenarioCommand } from '../support/scenario-command.ts';
import type { Settlement } from '../support/settle.ts';
import { auditRun, settle, settleEveryOrder } from '../support/settle.ts';
import type { BoundCheck, Recovery } from '../support/storm-analysis.ts';
import {
  checkRetryBound,
  perSecond,
  perSecondDeltas,
  recoveryTime,
  trailing,
} from '../support/storm-analysis.ts';
import { StormClients } from '../support/storm-clients.ts';
import { WireTap } from '../support/wire-tap.ts';

export const describe =
  'payment fails for a while under open-loop load with retrying clients, budget on then off';

/** The budget as the order service wires it by default (apps/order/src/config.ts). */
export const BUDGET = { percentCanRetry: 0.2, minRetriesPerSec: 10, ttlMs: 10_000 } as const;

export interface RetryStormOptions {
  readonly stack: StackEndpoints;
  readonly stackOptions?: StackOptions;
  readonly seed: number;
  /** New orders per second. @default 15 */
  readonly ratePerSec?: number;
  /** Load before the fault. @default 5_000 */
  readonly warmupMs?: number;
  /** How long payment fails. @default 10_000 */
  readonly faultMs?: number;
  /** Load after the fault. @default 10_000 */
  readonly afterMs?: number;
  /** SEAMLINE_REDRIVE_AFTER_MS of the order replicas. @default 2_000 */
  readonly redriveAfterMs?: number;
  /** What payment does meanwhile. @default 'fail' */
  readonly action?: 'fail' | 'stall';
  /** Runs, in order. @default ['on', 'off'] */
  readonly budgets?: readonly ('on' | 'off')[];
  /** Payment must be back to 90 % of its earlier rate this soon after the fault. @default 5 */
  readonly recoverWithinS?: number;
  /** One client HTTP attempt; a slower answer is a timeout the client retries. @default 5_000 */
  readonly clientTimeoutMs?: number;
  /** @default 90_000 */
  readonly settleTimeoutMs?: number;
  readonly keep?: boolean;
  readonly log?: (line: string) => void;
}

export interface StormSeries {
  readonly offered: number[];
  readonly clientAttempts: number[];
  readonly clientRetries: number[];
  /** Charge commands published to payment: requests + retries. */
  readonly attempts: number[];
  readonly requests: number[];
  readonly retries: number[];
  readonly shed: number[];
  /** Deliveries payment's bus server saw (bus redeliveries included). */
  readonly paymentDeliveries: number[];
  /** Charges payment answered for the first time. */
  readonly completions: number[];
}

export interface StormRun {
  readonly budget: 'on' | 'off';
  readonly seconds: number;
  readonly faultStartS: number;
  readonly faultEndS: number;
  readonly series: StormSeries;
  readonly bound: BoundCheck;
  /** Distinct leader terms seen during the run (1 = no leader change). */
  readonly leaderTerms: number;
  /** Largest number of attempts in any trailing ttl window of whole seconds, and its bound. */
  readonly peakWindow: {
    attempts: number;
    requests: number;
    allowedAttempts: number;
    endS: number;
  };
  readonly recovery: Recovery;
  readonly totals: {
    offered: number;
    accepted: number;
    clientAttempts: number;
    requests: number;
    retries: number;
    shed: number;
    paymentDeliveries: number;
  };
  /** Final answers of the clients' HTTP attempts: status (or timeout/error) -> count. */
  readonly clientOutcomes: Record<string, number>;
  readonly settlement: Settlement;
  /** Attempts per logical effect (one charge), joined per key across the layers. */
  readonly perEffect: PerEffect;
}

/**
 * Each charge of the run joined across layers: the client's HTTP attempts for its order, the
 * orchestrator's sends of it on the wire, and the arrivals payment's handler counted for its key
 * (`GET /ops/attempts/:key`: sends x bus deliveries, as they happened). Deliveries that the
 * chaos rule failed in the bus server never reach the handler: they are in the per-second
 * `paymentDeliveries`, not here.
 */
export interface PerEffect {
  readonly effects: number;
  /** Effects payment had no count for (forgotten or never arrived). */
  readonly unknown: number;
  readonly client: Spread;
  readonly sends: Spread;
  readonly arrivals: Spread;
}

export interface Spread {
  readonly mean: number;
  readonly p99: number;
  readonly max: number;
}

export interface RetryStormResult {
  readonly runId: string;
  readonly runs: readonly StormRun[];
  readonly audit: AuditReport;
  readonly auditText: string;
  readonly svg: string;
  readonly failures: readonly string[];
}

export async function retryStorm(o: RetryStormOptions): Promise<RetryStormResult> {
  const log = o.log ?? (() => {});
  const budgets = o.budgets ?? ['on', 'off'];
  const p = await startChaosPipeline({
    stack: o.stack,
    ...(o.stackOptions === undefined ? {} : { stackOptions: o.stackOptions }),
    orderReplicas: 2,
    logLevel: 'warn',
    env: {
      SEAMLINE_CHAOS: 'on',
      SEAMLINE_CHAOS_SEED: String(o.seed),
      // Per-key attempt counts must outlive the run (joined per effect at its end).
      SEAMLINE_ATTEMPT_TTL_MS: '900000',
    },
    orderEnv: {
      // The budget is per process: a leader change hands the retries to a fresh budget. Leases
      // that tolerate a loaded machine keep this scenario about the budget, not about failover.
      SEAMLINE_LEASE_MS: '3000',
      SEAMLINE_RENEW_MS: '1000',
      SEAMLINE_LEASE_MARGIN_MS: '500',
      SEAMLINE_REDRIVE_AFTER_MS: String(o.redriveAfterMs ?? 2_000),
      SEAMLINE_RETRY_BUDGET: budgets[0] ?? 'on',
    },
    log,
  });
  const chaos = await PipelineChaos.open(p);
  try {
    const runs: StormRun[] = [];
    let current = budgets[0] ?? 'on';
    for (const [i, budget] of budgets.entries()) {
      if (budget !== current) {
        await restartOrderReplicas(p, { SEAMLINE_RETRY_BUDGET: budget }, log);
        current = budget;
      }
      runs.push(await stormRun(p, chaos, o, budget, i, log));
    }
    const { report: audit, text: auditText } = await auditRun(p);
    const svg = renderLoadGraph(graphOf(runs, o));
    const failures = checkRuns(runs, o);
    if (!audit.ok) failures.push(`auditor: ${audit.violations.length} violations`);
    return { runId: p.runId, runs, audit, auditText, svg, failures };
  } finally {
    await chaos.close({ drop: o.keep !== true });
    await p.stop({ keepData: o.keep === true });
  }
}

async function stormRun(
  p: ChaosPipeline,
  chaos: PipelineChaos,
  o: RetryStormOptions,
  budget: 'on' | 'off',
  index: number,
  log: (line: string) => void,
): Promise<StormRun> {
  const leader = await waitForOrderLeader(p);
  log(`run ${index + 1}: budget ${budget}, leader ${leader.name}`);
  // One order end to end first: a freshly started leader is slow for its first requests, which
  // would pass for the storm's effect in the baseline.
  const urls = p.orders.map((r) => r.url);
  const probe = `${p.runId}-storm-${budget}-probe`;
  const placed = await placeOrder(urls, probe, {
    customerId: 'cust-1',
    items: [{ sku: 'sku-1', qty: 1, unitPriceCents: 500 }],
    currency: 'USD',
  });
  if (placed.status !== 202) throw new Error(`probe order refused: ${placed.status}`);
  await awaitTerminal(urls, orderIdForKey(probe), 60_000);
  const tap = await WireTap.start(p.stack.nats, p.busPrefix, 'payment.charge');
  const leaderSamples: { at: number; token: number }[] = [];
  const shedSamples: { at: number; value: number }[] = [];
  const deliverySamples: { at: number; value: number }[] = [];
  const sample = async () => {
    const at = Date.now();
    const [shed, tallies, replicas] = await Promise.all([
      Promise.all(
        p.orders.map((r) =>
          metricSum(r.url, 'seamline_retries_shed_total', { downstream: 'payment' }).catch(() => 0),
        ),
      ),
      chaos.tallies('payment').catch(() => []),
      orderReplicas(p).catch(() => []),
    ]);
    for (const r of replicas) if (r.token !== null) leaderSamples.push({ at, token: r.token });
    shedSamples.push({ at, value: shed.reduce((a, b) => a + b, 0) });
    deliverySamples.push({
      at,
      value: tallies.reduce((sum, t) => sum + (t.deliveries['payment.charge'] ?? 0), 0),
    });
  };
  const clients = new StormClients({
    targets: p.orders.map((r) => r.url),
    ratePerSec: o.ratePerSec ?? 15,
    seed: o.seed + index,
    keyPrefix: `${p.runId}-storm-${budget}`,
    fixture: p.fixture,
    timeoutMs: o.clientTimeoutMs ?? 5_000,
  });
  await sample();
  const t0 = Date.now();
  const sampler = setInterval(() => void sample(), 500);
  let faultStart = 0;
  let faultEnd = 0;
  try {
    clients.start();
    await delay(o.warmupMs ?? 5_000);
    const faultMs = o.faultMs ?? 10_000;
    const [rule] = await chaos.set({
      id: `storm-${index + 1}`,
      pattern: 'payment.charge',
      action: o.action ?? 'fail',
      until: Date.now() + faultMs,
    });
    faultStart = rule!.rule.createdAt;
    faultEnd = rule!.rule.until!;
    log(`run ${index + 1}: payment ${o.action ?? 'fail'}s every charge for ${faultMs} ms`);
    await delay(faultEnd - Date.now() + (o.afterMs ?? 10_000));
    await clients.stop();
  } finally {
    clearInterval(sampler);
    await clients.stop();
  }
  await sample();
  await chaos.clear('payment');
  const accepted = clients.accepted.map(orderIdForKey);
  log(`run ${index + 1}: ${accepted.length} orders accepted; waiting for all of them to finish`);
  const settlement = await settle(p, accepted, o.settleTimeoutMs ?? 90_000);
  // A client that timed out may still have created its order: wait for every order of the run,
  // not only the acknowledged ones, before the next run (or the auditor) looks at the store.
  await settleEveryOrder(p, o.settleTimeoutMs ?? 90_000, log);
  await tap.close();

  const seconds = Math.ceil((faultEnd + (o.afterMs ?? 10_000) - t0) / 1000);
  const requestTimes = tap.commands.filter((c) => c.attempt === 1).map((c) => c.at);
  const retryTimes = tap.commands.filter((c) => c.attempt > 1).map((c) => c.at);
  const client = (f: (e: { attempt: number }) => boolean) =>
    perSecond(
      clients.events.filter(f).map((e) => e.at),
      t0,
      seconds,
    );
  const requests = perSecond(requestTimes, t0, seconds);
  const retries = perSecond(retryTimes, t0, seconds);
  const series: StormSeries = {
    offered: client((e) => e.attempt === 0),
    clientAttempts: client((e) => e.attempt >= 1),
    clientRetries: client((e) => e.attempt >= 2),
    requests,
    retries,
    attempts: requests.map((r, i) => r + retries[i]!),
    shed: perSecondDeltas(shedSamples, t0, seconds),
    paymentDeliveries: perSecondDeltas(deliverySamples, t0, seconds),
    completions: perSecond(
      tap.completions.map((c) => c.at),
      t0,
      seconds,
    ),
  };
  const ttlS = BUDGET.ttlMs / 1000;
  const windowAttempts = trailing(series.attempts, ttlS);
  const windowRequests = trailing(series.requests, ttlS);
  let peak = { attempts: 0, requests: 0, allowedAttempts: 0, endS: 0 };
  windowAttempts.forEach((a, i) => {
    if (a > peak.attempts) {
      const q = windowRequests[i]!;
      peak = {
        attempts: a,
        requests: q,
        allowedAttempts: (1 + BUDGET.percentCanRetry) * q + BUDGET.minRetriesPerSec * ttlS,
        endS: i + 1,
      };
    }
  });
  const faultStartS = (faultStart - t0) / 1000;
  const faultEndS = (faultEnd - t0) / 1000;
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const run: StormRun = {
    budget,
    seconds,
    faultStartS,
    faultEndS,
    series,
    bound: checkRetryBound(requestTimes, retryTimes, {
      ...BUDGET,
      senders: (from, to) =>
        new Set(
          leaderSamples
            .filter((l) => l.at >= from - 1_000 && l.at < to + 1_000)
            .map((l) => l.token),
        ).size,
    }),
    leaderTerms: new Set(leaderSamples.map((l) => l.token)).size,
    peakWindow: peak,
    recovery: recoveryTime(
      series.completions,
      [1, Math.max(2, Math.floor(faultStartS))],
      faultEndS,
    ),
    totals: {
      offered: clients.events.filter((e) => e.attempt === 0).length,
      accepted: accepted.length,
      clientAttempts: clients.events.filter((e) => e.attempt >= 1).length,
      requests: requestTimes.length,
      retries: retryTimes.length,
      shed: sum(series.shed),
      paymentDeliveries: sum(series.paymentDeliveries),
    },
    clientOutcomes: countBy(
      clients.events.filter((e) => e.attempt >= 1).map((e) => String(e.outcome)),
    ),
    settlement,
    perEffect: await joinPerEffect(p.payment.url, tap.commands, clients.events),
  };
  log(summaryLine(run));
  return run;
}

async function joinPerEffect(
  paymentUrl: string,
  commands: readonly { key: string; attempt: number }[],
  clientEvents: readonly { attempt: number; key?: string }[],
): Promise<PerEffect> {
  const sends = new Map<string, number>();
  for (const c of commands) sends.set(c.key, Math.max(sends.get(c.key) ?? 0, c.attempt));
  const clientByOrder = new Map<string, number>();
  for (const e of clientEvents) {
    if (e.attempt < 1 || e.key === undefined) continue;
    const orderId = orderIdForKey(e.key);
    clientByOrder.set(orderId, (clientByOrder.get(orderId) ?? 0) + 1);
  }
  const rows: { client: number; sends: number; arrivals: number }[] = [];
  let unknown = 0;
  const keys = [...sends.keys()];
  for (let i = 0; i < keys.length; i += 16) {
    const batch = await Promise.all(
      keys.slice(i, i + 16).map(async (key) => {
        const res = await fetch(`${paymentUrl}/ops/attempts/${encodeURIComponent(key)}`).catch(
          () => undefined,
        );
        if (res?.status !== 200) return { key, total: undefined };
        return { key, total: ((await res.json()) as { total: number }).total };
      }),
    );
    for (const { key, total } of batch) {
      if (total === undefined) {
        unknown += 1;
        continue;
      }
      const orderId = parseEffectKey(key)?.sagaId ?? '';
      rows.push({
        client: clientByOrder.get(orderId) ?? 0,
        sends: sends.get(key)!,
        arrivals: total,
      });
    }
  }
  const spread = (xs: number[]): Spread => {
    const sorted = [...xs].sort((a, b) => a - b);
    return {
      mean: sorted.length === 0 ? 0 : sorted.reduce((a, b) => a + b, 0) / sorted.length,
      p99: sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] ?? 0,
      max: sorted.at(-1) ?? 0,
    };
  };
  return {
    effects: keys.length,
    unknown,
    client: spread(rows.map((r) => r.client)),
    sends: spread(rows.map((r) => r.sends)),
    arrivals: spread(rows.map((r) => r.arrivals)),
  };
}

export function summaryLine(r: StormRun): string {
  const b = r.bound;
  return (
    `budget ${r.budget}: offered ${r.totals.offered}, accepted ${r.totals.accepted}, ` +
    `client attempts ${r.totals.clientAttempts} ${JSON.stringify(r.clientOutcomes)}; charge requests ${r.totals.requests}, ` +
    `retries ${r.totals.retries}, shed ${r.totals.shed}, payment deliveries ${r.totals.paymentDeliveries}; ` +
    `peak ${BUDGET.ttlMs / 1000} s window: ${r.peakWindow.attempts} attempts for ${r.peakWindow.requests} ` +
    `requests (bound ${r.peakWindow.allowedAttempts.toFixed(0)}); worst sliding window: ` +
    `${b.worst?.retries ?? 0} retries vs ${b.worst?.allowed.toFixed(1) ?? '-'} allowed ` +
    `(${b.ok ? 'within' : 'BROKEN'}, ${b.worst?.senders ?? 1} leader(s) in it; ${r.leaderTerms} leader term(s) in the run); payment back to ${Math.round(r.recovery.baseline)}/s ` +
    `${r.recovery.afterS === undefined ? 'never' : `${r.recovery.afterS.toFixed(1)} s`} after the fault; ` +
    `unfinished orders ${r.settlement.unfinished.length}; per charge (${r.perEffect.effects} joined, ` +
    `${r.perEffect.unknown} unknown): client attempts mean ${r.perEffect.client.mean.toFixed(2)} max ${r.perEffect.client.max}, ` +
    `orchestrator sends mean ${r.perEffect.sends.mean.toFixed(2)} max ${r.perEffect.sends.max}, ` +
    `payment handler arrivals mean ${r.perEffect.arrivals.mean.toFixed(2)} p99 ${r.perEffect.arrivals.p99} max ${r.perEffect.arrivals.max}`
  );
}

function checkRuns(runs: readonly StormRun[], o: RetryStormOptions): string[] {
  const failures: string[] = [];
  const within = o.recoverWithinS ?? 5;
  for (const r of runs) {
    if (r.settlement.unfinished.length > 0) {
      failures.push(
        `budget ${r.budget}: ${r.settlement.unfinished.length} accepted orders never finished`,
      );
    }
    if (r.budget === 'on') {
      if (!r.bound.ok) {
        failures.push(
          `budget on: ${r.bound.worst?.retries} retries in a window allowing ${r.bound.worst?.allowed}`,
        );
      }
      if (r.totals.shed === 0) failures.push('budget on: nothing was shed (no storm to contain)');
      if (r.recovery.afterS === undefined || r.recovery.afterS > within) {
        failures.push(
          `budget on: payment not back to 90 % of ${r.recovery.baseline.toFixed(1)}/s within ${within} s ` +
            `(${r.recovery.afterS === undefined ? 'never' : `${r.recovery.afterS.toFixed(1)} s`})`,
        );
      }
    } else if (r.bound.ok) {
      failures.push('budget off: the bound held, so this run could not show the amplification');
    }
  }
  return failures;
}

function graphOf(runs: readonly StormRun[], o: RetryStormOptions) {
  const on = runs.find((r) => r.budget === 'on');
  const off = runs.find((r) => r.budget === 'off');
  const ttlS = BUDGET.ttlMs / 1000;
  const colors = (r: StormRun) =>
    r.budget === 'on' ? ['#1f4e9c', '#6fa8dc', '#2e8b57'] : ['#c0392b', '#e59866', '#7d3c98'];
  const sent = (r: StormRun | undefined) => {
    if (r === undefined) return [];
    const [c] = colors(r);
    const tag = `budget ${r.budget}`;
    return [
      { label: `attempts to payment (${tag})`, values: r.series.attempts, color: c!, width: 2.5 },
      { label: `of which retries (${tag})`, values: r.series.retries, color: c!, dash: '6 3' },
      ...(r.budget === 'on'
        ? [
            {
              label: `retries shed (${tag})`,
              values: r.series.shed,
              color: '#27ae60',
              dash: '8 3 2 3',
            },
          ]
        : []),
    ];
  };
  const seen = (r: StormRun | undefined) => {
    if (r === undefined) return [];
    const [, light, done] = colors(r);
    const tag = `budget ${r.budget}`;
    return [
      {
        label: `payment deliveries (${tag})`,
        values: r.series.paymentDeliveries,
        color: light!,
        dash: '2 2',
      },
      { label: `charges completed (${tag})`, values: r.series.completions, color: done!, width: 2 },
    ];
  };
  const windowLines = (r: StormRun | undefined, color: string) => {
    if (r === undefined) return [];
    const q = trailing(r.series.requests, ttlS);
    return [
      {
        label: `attempts / ${ttlS} s (budget ${r.budget})`,
        values: trailing(r.series.attempts, ttlS),
        color,
        width: 2.5,
      },
      {
        label: `bound (budget ${r.budget})`,
        values: q.map((n) => (1 + BUDGET.percentCanRetry) * n + BUDGET.minRetriesPerSec * ttlS),
        color,
        dash: '4 4',
      },
    ];
  };
  const first = on ?? off!;
  return {
    title: 'Retry storm: payment fails for a while, budget on vs off',
    subtitle:
      `${o.ratePerSec ?? 15} orders/s open loop, clients retry; payment ${o.action ?? 'fail'}s every charge ` +
      `for ${((o.faultMs ?? 10_000) / 1000).toFixed(0)} s; re-drive after ${o.redriveAfterMs ?? 2_000} ms; ` +
      `budget ${BUDGET.percentCanRetry} x requests + ${BUDGET.minRetriesPerSec}/s x ${ttlS} s; seed ${o.seed}`,
    spans: [{ from: first.faultStartS, to: first.faultEndS, label: 'payment failing' }],
    panels: [
      {
        title: 'Orchestrator to payment, per second',
        yLabel: 'commands per second',
        lines: [
          { label: 'orders offered', values: first.series.offered, color: '#555', width: 1 },
          ...sent(on),
          ...sent(off),
        ],
      },
      {
        title: 'What payment saw (deliveries, bus redeliveries included) and finished, per second',
        yLabel: 'per second',
        lines: [...seen(on), ...seen(off)],
      },
      {
        title: `Attempts to payment in the trailing ${ttlS} s vs the budget's bound`,
        yLabel: `per ${ttlS} s`,
        lines: [...windowLines(on, '#1f4e9c'), ...windowLines(off, '#c0392b')],
      },
    ],
  };
}

function countBy(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}

export async function run(argv: string[]): Promise<number> {
  return runScenarioCommand(argv, {
    name: 'retry-storm',
    usage:
      '[--rate N] [--warmup 5s] [--fault 10s] [--after 10s] [--redrive-ms N] [--action fail|stall] [--budget on|off|both] [--svg PATH]',
    options: {
      rate: { type: 'string' },
      warmup: { type: 'string' },
      fault: { type: 'string' },
      after: { type: 'string' },
      'redrive-ms': { type: 'string' },
      action: { type: 'string', default: 'fail' },
      budget: { type: 'string', default: 'both' },
      svg: { type: 'string', default: path.join(REPO_ROOT, 'docs', 'retry-storm.svg') },
    },
    run: async (ctx: ScenarioContext) => {
      const v = ctx.values;
      const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
      const action = str('action');
      if (action !== 'fail' && action !== 'stall')
        throw new TypeError('--action must be fail or stall');
      const budget = str('budget');
      const budgets =
        budget === 'on'
          ? ['on' as const]
          : budget === 'off'
            ? ['off' as const]
            : (['on', 'off'] as const);
      const options: RetryStormOptions = {
        stack: ctx.stack,
        stackOptions: ctx.stackOptions,
        seed: ctx.seed,
        ratePerSec: intOption(v.rate, 'rate', 15),
        warmupMs: str('warmup') === undefined ? 5_000 : parseDuration(str('warmup')!),
        faultMs: str('fault') === undefined ? 10_000 : parseDuration(str('fault')!),
        afterMs: str('after') === undefined ? 10_000 : parseDuration(str('after')!),
        redriveAfterMs: intOption(v['redrive-ms'], 'redrive-ms', 2_000),
        action,
        budgets,
        keep: ctx.keep,
        log: ctx.log,
      };
      const r = await retryStorm(options);
      for (const run of r.runs) {
        ctx.log(summaryLine(run));
        ctx.log(`  per second (budget ${run.budget}): ${table(run)}`);
      }
      writeFileSync(str('svg')!, r.svg);
      ctx.log(`load graph written to ${str('svg')}`);
      process.stdout.write(r.auditText);
      for (const f of r.failures) ctx.log(`check failed: ${f}`);
      return r.failures.length === 0;
    },
  });
}

function table(r: StormRun): string {
  const s = r.series;
  return s.attempts
    .map(
      (_, i) =>
        `\n    t=${String(i).padStart(2)}s offered ${s.offered[i]} client ${s.clientAttempts[i]} (retries ${s.clientRetries[i]}) ` +
        `attempts ${s.attempts[i]} (retries ${s.retries[i]}, shed ${s.shed[i]}) deliveries ${s.paymentDeliveries[i]} completed ${s.completions[i]}`,
    )
    .join('');
}
