/**
 * Open-loop load driver for the whole pipeline: orders arrive at a constant rate (not a closed
 * loop), each is followed until terminal, and saga latency is taken from the order's own
 * timestamps (accepted → finished). Three arrival rates, then a CDF plot.
 *
 *   npm run bench:saga [-- --rates 20,50,100 --seconds 20 --seed 7] [--svg FILE | --docs]
 *
 * The CDF goes to .seamline/bench/saga-latency-cdf.svg; `--docs` writes
 * docs/saga-latency-cdf.svg instead, `--svg FILE` wherever it says.
 * Every accepted order must end terminal, or the run fails.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { seededRandom } from '@seamline/retry-budget';
import { bringUp } from '../infra/demo/local-run.ts';
import { OrderClient } from '../infra/demo/order-client.ts';
import { seedServices } from '../infra/demo/seed-client.ts';
import { cdfSvg } from './cdf-svg.ts';
import { percentile } from './load-stats.ts';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '20,50,100' },
    seconds: { type: 'string', default: '20' },
    seed: { type: 'string', default: String(Date.now() % 100_000) },
    svg: { type: 'string' },
    docs: { type: 'boolean', default: false },
  },
});
const svgPath =
  values.svg ??
  (values.docs ? 'docs/saga-latency-cdf.svg' : '.seamline/bench/saga-latency-cdf.svg');
const rates = values.rates.split(',').map(Number);
const seconds = Number(values.seconds);
const seed = Number(values.seed);
console.error(
  `saga load bench: rates ${rates.join(', ')} orders/s, ${seconds}s each, seed=${seed}`,
);
const random = seededRandom(seed);

const run = await bringUp({
  purpose: 'bench:saga',
  layout: { orderReplicas: 2, logLevel: 'warn' },
  stack: {},
  log: (l) => console.error(l),
});
const rows: string[] = [];
const series: { label: string; samplesMs: number[] }[] = [];
try {
  await seedServices({ payment: run.paymentUrl, inventory: run.inventoryUrl });
  const client = new OrderClient({ urls: run.orderUrls, deadlineMs: 120_000 });
  const runId = Date.now().toString(36);
  for (const rate of rates) {
    const total = Math.round(rate * seconds);
    const sagaMs: number[] = [];
    const outcomes = new Map<string, number>();
    let lost = 0;
    // Time from the first POST to its 202, and the 429s (edge admission) met on the way.
    const acceptMs: number[] = [];
    let shed = 0;
    let retried = 0;
    const start = performance.now();
    const inflight: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const wait = start + (i * 1000) / rate - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const body = {
        customerId: `cust-${1 + Math.floor(random() * 1000)}`,
        items: [
          {
            sku: `sku-${1 + Math.floor(random() * 1000)}`,
            qty: 1 + Math.floor(random() * 3),
            unitPriceCents: 100 + Math.floor(random() * 900),
          },
        ],
        currency: 'USD' as const,
      };
      inflight.push(
        (async () => {
          try {
            const asked = performance.now();
            const { view: accepted, retries } = await client.place(
              `bench-${runId}-${rate}-${i}`,
              body,
            );
            acceptMs.push(performance.now() - asked);
            shed += retries.filter((r) => r.endsWith(': 429')).length;
            if (retries.length > 0) retried += 1;
            const done = (await client.awaitTerminal(accepted.orderId)) as unknown as {
              status: string;
              createdAt: string;
              finishedAt: string | null;
            };
            outcomes.set(done.status, (outcomes.get(done.status) ?? 0) + 1);
            if (done.finishedAt !== null)
              sagaMs.push(Date.parse(done.finishedAt) - Date.parse(done.createdAt));
          } catch (err) {
            lost += 1;
            console.error(`order ${i} at ${rate}/s did not finish: ${String(err)}`);
          }
        })(),
      );
    }
    await Promise.all(inflight);
    const elapsed = (performance.now() - start) / 1000;
    const sorted = [...sagaMs].sort((a, b) => a - b);
    const completed = outcomes.get('COMPLETED') ?? 0;
    const accept = [...acceptMs].sort((a, b) => a - b);
    rows.push(
      `| ${rate} | ${total} | ${(completed / elapsed).toFixed(1)} | ${percentile(sorted, 50).toFixed(0)} | ${percentile(sorted, 99).toFixed(0)} | ${percentile(sorted, 99.9).toFixed(0)} | ${sorted.at(-1)?.toFixed(0) ?? '-'} | ${retried} / ${shed} | ${percentile(accept, 99).toFixed(0)} | ${lost} |`,
    );
    series.push({
      label: `${rate} orders/s (p99 ${percentile(sorted, 99).toFixed(0)} ms)`,
      samplesMs: sagaMs,
    });
    console.error(
      `rate ${rate}/s done: ${JSON.stringify(Object.fromEntries(outcomes))}, not terminal: ${lost}`,
    );
    if (lost > 0) process.exitCode = 1;
  }
} finally {
  await run.teardown();
}
mkdirSync(path.dirname(svgPath), { recursive: true });
writeFileSync(svgPath, cdfSvg(`Saga latency CDF (2 order replicas, seed ${seed})`, series));
console.log(
  `\n| arrival rate /s | orders | completed /s | saga p50 ms | saga p99 ms | saga p99.9 ms | saga max ms | orders retried / 429s | accept p99 ms | not terminal |\n|---|---|---|---|---|---|---|---|---|---|`,
);
for (const r of rows) console.log(r);
console.log(`\nCDF written to ${svgPath}`);
