/**
 * `npm run demo`: Seamline end to end from a fresh clone. Brings up the stack, three order
 * replicas, payment and inventory; seeds accounts and stock; places a mix of orders through the
 * HTTP API (most complete, some from a customer without money, two for a sku with one unit);
 * waits until every order is terminal; prints outcomes, saga latency and the invariant audit;
 * and stops what it started (`--keep` leaves it running).
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { auditStack, renderReport } from '@seamline/audit';
import type { AuditReport } from '@seamline/audit';
import { bringUp } from './demo/local-run.ts';
import type { LocalRun } from './demo/local-run.ts';
import { OrderClient } from './demo/order-client.ts';
import type { OrderView } from './demo/order-client.ts';
import { formatMs, percentile, ProgressLine, RunStats } from './demo/run-stats.ts';
import { seedServices } from './demo/seed-client.ts';
import { planWorkload } from './demo/workload.ts';
import type { PlannedOrder } from './demo/workload.ts';
import { prometheusTargets, startPrometheus, stopPrometheus } from './prometheus/run-prometheus.ts';
import { stackOptionsFromEnv } from './stack/env-options.ts';
import { waitFor } from './stack/index.ts';

const USAGE = `usage: npm run demo -- [options]
  --orders N        orders to place (default 200)
  --concurrency N   orders in flight at once (default 16)
  --seed N          seed of the order mix (default: random, printed)
  --keep            leave the stack and services running at the end`;

const EXPECTED: Record<PlannedOrder['intent'], string[]> = {
  complete: ['COMPLETED'],
  'payment-declined': ['CANCELLED/PAYMENT_DECLINED'],
  // An earlier demo run may have taken the single unit already.
  'rare-first': ['COMPLETED', 'CANCELLED/OUT_OF_STOCK'],
  'rare-second': ['CANCELLED/OUT_OF_STOCK'],
};

const say = (line: string) => process.stderr.write(`demo: ${line}\n`);

function fail(message: string): never {
  say(message);
  process.exit(1);
}

function positive(flag: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) fail(`--${flag} must be a whole number >= 1, got ${raw}`);
  return n;
}

let parsed;
try {
  parsed = parseArgs({
    args: process.argv.slice(2),
    options: {
      orders: { type: 'string', default: '200' },
      concurrency: { type: 'string', default: '16' },
      seed: { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
} catch (error) {
  fail(`${(error as Error).message}\n${USAGE}`);
}
const { values } = parsed;
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const total = Math.max(2, positive('orders', values.orders));
const concurrency = positive('concurrency', values.concurrency);
const seed =
  values.seed === undefined ? randomBytes(4).readUInt32BE() : positive('seed', values.seed);

// Set once the services are up, so a signal knows what to tear down.
const current: { run?: LocalRun; prometheus?: boolean } = {};
// Stops the demo's Prometheus, if this run started it.
const stopOwnPrometheus = async () => {
  if (current.prometheus) await stopPrometheus(stackOptionsFromEnv()).catch(() => 'absent');
};
let interrupted = false;
const onSignal = (signal: NodeJS.Signals) => {
  if (interrupted) process.exit(130);
  interrupted = true;
  say(`${signal}: stopping what the demo started (again to exit at once)...`);
  if (current.run) {
    const run = current.run;
    void stopOwnPrometheus()
      .then(() => run.teardown())
      .then(() => process.exit(130));
  }
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

say(`bringing up the stack and 5 services (3 order replicas, payment, inventory)...`);
const started = Date.now();
const run = await bringUp({
  purpose: 'npm run demo',
  layout: { orderReplicas: 3 },
  stack: stackOptionsFromEnv(),
  log: (line) => say(line),
}).catch((error: unknown) => fail((error as Error).message));
current.run = run;
if (interrupted) {
  await run.teardown();
  process.exit(130);
}
say(`up in ${formatMs(Date.now() - started)}; order API at ${run.orderUrls.join(', ')}`);
// Prometheus from the machine's binary, scraping this run's services with the seam alert rules.
const prometheus = await startPrometheus({
  stack: stackOptionsFromEnv(),
  targets: prometheusTargets(run.specs),
}).catch((error: unknown) => {
  say(`Prometheus not started: ${(error as Error).message}`);
  return undefined;
});
current.prometheus = prometheus?.started ?? false;
if (prometheus)
  say(`Prometheus at ${prometheus.url}; seam dashboard at ${run.orderUrls[0]}/dashboard`);

let code = 0;
try {
  code = await demo(run);
} catch (error) {
  say(`failed: ${(error as Error).stack ?? String(error)}`);
  code = 1;
}
if (values.keep) {
  await run.keep();
  process.stdout.write(
    `\nStill running (--keep):\n  order API  ${run.orderUrls.join('  ')}  (docs at /docs)\n` +
      `  payment    ${run.paymentUrl}\n  inventory  ${run.inventoryUrl}\n` +
      `  dashboard  ${run.orderUrls[0]}/dashboard\n` +
      (prometheus ? `  prometheus ${prometheus.url}  (alerts at /alerts)\n` : '') +
      `  stop with  ${stackEnvPrefix()}npm run stack -- down\n`,
  );
} else {
  say('stopping what the demo started...');
  await stopOwnPrometheus();
  await run.teardown();
}
process.exit(code);

async function demo(local: LocalRun): Promise<number> {
  const seeded = await seedServices({ payment: local.paymentUrl, inventory: local.inventoryUrl });
  say(
    `seeded ${seeded.payment.created} accounts (${seeded.payment.existing} existed), ` +
      `${seeded.inventory.created} skus (${seeded.inventory.existing} existed)`,
  );
  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const plan = planWorkload({ orders: total, seed, runId });
  say(`placing ${total} orders, ${concurrency} at a time (seed ${seed}, keys demo-${runId}-*)`);
  const client = new OrderClient({ urls: local.orderUrls });
  const stats = new RunStats(total);
  const surprises: string[] = [];
  const place = async (order: PlannedOrder) => {
    const sent = Date.now();
    let done: OrderView;
    let accepted = false;
    let retries: string[] = [];
    try {
      const placed = await client.place(order.key, order.body);
      retries = placed.retries;
      stats.accepted();
      accepted = true;
      done = await client.awaitTerminal(placed.view.orderId);
    } catch (error) {
      stats.gaveUp(accepted);
      const before = retries.length > 0 ? ` (POST retried after: ${retries.join(', ')})` : '';
      surprises.push(`${order.key}: ${(error as Error).message}${before}`);
      return;
    }
    stats.finished(done.status as 'COMPLETED' | 'CANCELLED', done.reason, Date.now() - sent);
    const outcome = done.status === 'COMPLETED' ? 'COMPLETED' : `CANCELLED/${done.reason}`;
    const expected = EXPECTED[order.intent];
    if (!expected.includes(outcome)) {
      surprises.push(
        `${done.orderId} (${order.intent}): ${outcome}, expected ${expected.join(' or ')}`,
      );
    }
  };
  const progress = new ProgressLine(process.stdout, () => stats.progress());
  const ordinary = plan.filter((o) => !o.intent.startsWith('rare'));
  const rare = plan.filter((o) => o.intent.startsWith('rare'));
  let nextIndex = 0;
  const worker = async () => {
    while (nextIndex < ordinary.length && !interrupted) await place(ordinary[nextIndex++]!);
  };
  // The two rare orders go one after the other, so the second finds the single unit taken.
  const rareLane = async () => {
    for (const order of rare) if (!interrupted) await place(order);
  };
  await Promise.all([rareLane(), ...Array.from({ length: concurrency }, worker)]);
  progress.stop();
  if (interrupted) return 130;

  // Orders of earlier runs (or of a crashed one) must be terminal too before the audit.
  const open = async () =>
    (await client.countByStatus('PENDING')) + (await client.countByStatus('COMPENSATING'));
  if ((await open()) > 0) {
    say('waiting for orders of earlier runs to finish...');
    // A parked saga (one the orchestrator cannot build a command for) never finishes by itself:
    // waiting out the timeout for it only delays the audit that names it.
    let parked: string[] = [];
    await waitFor(
      async () => {
        const left = await open();
        parked = left === 0 ? [] : await parkedSagas(local.orderUrls);
        return left === parked.length;
      },
      { what: 'every order to be COMPLETED or CANCELLED', timeoutMs: 120_000, intervalMs: 500 },
    ).catch((error: unknown) => say((error as Error).message));
    for (const id of parked)
      say(`saga ${id} is parked and cannot finish: end it with npm run sagas -- quarantine ${id}`);
  }

  say('auditing every replica (anti-entropy first, then invariants 1 and 2)...');
  const report = await auditStack({
    postgres: local.endpoints.postgres,
    expectTerminal: true,
    repair: true,
  });
  process.stdout.write(summary(stats, surprises, report));
  process.stdout.write(`\n${renderReport(report)}`);
  return report.ok && stats.failed === 0 ? 0 : 1;
}

/** Ids of the sagas the order leader has parked (see `npm run sagas -- stuck`). */
async function parkedSagas(urls: readonly string[]): Promise<string[]> {
  for (const url of urls) {
    const res = await fetch(`${url}/admin/sagas/stuck`, {
      signal: AbortSignal.timeout(3000),
    }).catch(() => undefined);
    if (res === undefined || !res.ok) continue;
    const view = (await res.json()) as {
      leader: boolean;
      stuck: { orderId: string; parked?: unknown }[];
    };
    if (view.leader) return view.stuck.filter((s) => s.parked != null).map((s) => s.orderId);
  }
  return [];
}

/** The SEAMLINE_STACK_* variables this run used, so a printed command reaches the same stack. */
function stackEnvPrefix(): string {
  return ['SEAMLINE_STACK_ROOT', 'SEAMLINE_STACK_OFFSET', 'SEAMLINE_STACK_NATS']
    .filter((name) => process.env[name])
    .map((name) => `${name}=${process.env[name]} `)
    .join('');
}

function summary(stats: RunStats, surprises: string[], report: AuditReport): string {
  const reasons = [...stats.cancelledBy].map(([reason, n]) => `${reason} ${n}`).join(', ');
  const lines = [
    '',
    'Summary of this run',
    `  orders             ${stats.placed} accepted of ${stats.total}` +
      (stats.failed > 0 ? `, ${stats.failed} gave up` : ''),
    `  completed          ${stats.completed}`,
    `  cancelled          ${stats.cancelled}${reasons ? ` (${reasons})` : ''}`,
    `  saga latency       p50 ${formatMs(percentile(stats.latencies, 50))} · p99 ${formatMs(percentile(stats.latencies, 99))} (POST to terminal, as the client saw it)`,
    `  duplicate effects  ${report.counts.duplicateEffects} (auditor, every replica)`,
    `  audit              ${report.ok ? 'PASS' : `FAIL, ${report.violations.length} violations`} over all ${report.counts.orders} orders in the databases`,
  ];
  if (surprises.length > 0) {
    lines.push(`  unexpected outcomes: ${surprises.length}`);
    for (const s of surprises.slice(0, 10)) lines.push(`    ${s}`);
  }
  return `${lines.join('\n')}\n`;
}
