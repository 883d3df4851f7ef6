/**
 * Hunts the retry storm (design brief, invariant 5 and failure scenario 3): re-drives that keep
 * multiplying while payment is down, so the downstream sees far more than its traffic, and a
 * budget that sheds nothing or never lets the downstream recover. Real processes under the
 * supervisor, open-loop clients that retry, payment failing every charge for a while (a chaos
 * rule in its bus server).
 *
 * One scenario, two runs in one go: budget on, then the order replicas restarted with
 * SEAMLINE_RETRY_BUDGET=off. The same bound check that passes with the budget on must fail with
 * it off, so the first assertion can fail. Short on purpose (CI); `npm run chaos -- retry-storm`
 * runs the longer version and draws docs/retry-storm.svg. Seed: SEAMLINE_CHAOS_SEED=<n>.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, inject, it } from 'vitest';
import { stackOptionsFromEnv } from '../infra/stack/env-options.ts';
import { BUDGET, retryStorm, summaryLine } from './scenarios/retry-storm.ts';
import { parseSeed } from './support/seeded-random.ts';

const seed = parseSeed(process.env.SEAMLINE_CHAOS_SEED);
const started = Date.now();
const log = (line: string) =>
  process.stderr.write(
    `[retry-storm seed ${seed} +${((Date.now() - started) / 1000).toFixed(1)}s] ${line}\n`,
  );
log(`seed ${seed} (replay with SEAMLINE_CHAOS_SEED=${seed})`);

it('keeps re-drives within the budget while payment fails and recovers; without the budget the bound breaks', async () => {
  const r = await retryStorm({
    stack: inject('stack'),
    stackOptions: stackOptionsFromEnv(),
    seed,
    ratePerSec: 10,
    warmupMs: 3_000,
    faultMs: 7_000,
    afterMs: 6_000,
    redriveAfterMs: 1_000,
    log,
  });
  const svg = path.join(mkdtempSync(path.join(os.tmpdir(), 'retry-storm-')), 'retry-storm.svg');
  writeFileSync(svg, r.svg);
  log(`load graph: ${svg}`);
  const [on, off] = r.runs;
  for (const run of r.runs) log(summaryLine(run));

  expect(on?.budget).toBe('on');
  // The budget was actually the limit (retries were shed) and held in every window.
  expect(on!.totals.shed).toBeGreaterThan(0);
  expect(on!.bound.ok).toBe(true);
  // Payment completes charges at >= 90 % of its earlier rate within 5 s of the fault's end.
  expect(on!.recovery.afterS).toBeDefined();
  expect(on!.recovery.afterS!).toBeLessThanOrEqual(5);
  expect(on!.settlement.unfinished).toEqual([]);

  expect(off?.budget).toBe('off');
  // The same check fails without the budget: retries exceed percentCanRetry x requests + floor.
  expect(off!.totals.shed).toBe(0);
  expect(off!.bound.ok).toBe(false);
  expect(off!.bound.worst!.retries).toBeGreaterThan(
    BUDGET.percentCanRetry * off!.bound.worst!.requests +
      (BUDGET.minRetriesPerSec * BUDGET.ttlMs) / 1000,
  );
  expect(off!.settlement.unfinished).toEqual([]);

  // Attempts per logical effect, joined per key across the layers: payment counted every charge
  // the orchestrator sent, and the budget spent fewer sends per charge than no budget did.
  for (const run of [on!, off!]) {
    expect(run.perEffect.effects).toBeGreaterThan(0);
    expect(run.perEffect.unknown).toBe(0);
    expect(run.perEffect.arrivals.mean).toBeGreaterThanOrEqual(1);
    expect(run.perEffect.client.mean).toBeGreaterThanOrEqual(1);
  }
  expect(on!.perEffect.sends.mean).toBeLessThan(off!.perEffect.sends.mean);

  expect(r.audit.violations).toEqual([]);
  expect(r.failures).toEqual([]);
  expect(r.svg).toContain('budget off');
}, 300_000);
