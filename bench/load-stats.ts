/** Latency percentiles and an open-loop (constant arrival rate) driver shared by the benchmarks. */
import { performance } from 'node:perf_hooks';

export interface LatencySummary {
  readonly count: number;
  readonly errors: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly seconds: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/**
 * Starts `op` at a constant rate for `seconds`, whatever the previous calls are doing, and
 * measures each call from its scheduled start, so a stall shows up in the latencies instead of
 * silently lowering the load (no coordinated omission).
 */
export async function openLoop(
  ratePerSec: number,
  seconds: number,
  op: (i: number) => Promise<void>,
  /** Where to collect the latencies (pass one array to several calls to pool them). */
  latencies: number[] = [],
): Promise<LatencySummary> {
  let errors = 0;
  const total = Math.round(ratePerSec * seconds);
  const interval = 1000 / ratePerSec;
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const scheduled = start + i * interval;
    const wait = scheduled - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inflight.push(
      op(i).then(
        () => void latencies.push(performance.now() - scheduled),
        () => void (errors += 1),
      ),
    );
  }
  await Promise.all(inflight);
  return summarize(latencies, errors, (performance.now() - start) / 1000);
}

export function summarize(latencies: number[], errors: number, seconds: number): LatencySummary {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    count: sorted.length,
    errors,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    max: sorted.at(-1) ?? Number.NaN,
    seconds,
  };
}

export function row(name: string, s: LatencySummary): string {
  const f = (n: number) => n.toFixed(2);
  return `| ${name} | ${s.count} | ${s.errors} | ${f(s.p50)} | ${f(s.p99)} | ${f(s.p999)} | ${f(s.max)} |`;
}

export const HEADER =
  '| operation | ops | errors | p50 ms | p99 ms | p99.9 ms | max ms |\n|---|---|---|---|---|---|---|';
