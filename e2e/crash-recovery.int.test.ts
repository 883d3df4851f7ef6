/**
 * Hunts crash bugs with real processes: a saga lost or charged twice when payment is SIGKILLed
 * between deciding and replying, or when the order leader is SIGKILLed mid-saga (its successor
 * must reload open sagas with a quorum read and drive them on). The auditor checks every
 * replica afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restartProcess, signalProcess, waitFor } from '../infra/stack/index.ts';
import { stackOptionsFromEnv } from '../infra/stack/env-options.ts';
import { ProcessPipeline } from './process-pipeline.ts';

let p: ProcessPipeline;
beforeAll(async () => {
  p = new ProcessPipeline(2);
  await p.start();
});
afterAll(async () => {
  await p.stop();
});

async function placeMany(prefix: string, n: number): Promise<string[]> {
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      p.place(`${prefix}-${i}`, `cust-${(i % 40) + 1}`, `sku-${(i % 40) + 1}`),
    ),
  );
}

describe('crash recovery', () => {
  it('completes every saga with one charge when payment is killed -9 mid-saga and restarted', async () => {
    const ids = await placeMany('pay-crash', 30);
    await signalProcess('payment-1', 'kill', stackOptionsFromEnv());
    // Sagas are now stuck waiting on payment: at least one is still pending.
    const pending = await Promise.all(ids.map((id) => p.status(id)));
    expect(pending.filter((s) => s === 'PENDING').length).toBeGreaterThan(0);
    await restartProcess('payment-1', stackOptionsFromEnv());
    const outcomes = await p.allTerminal(ids);
    expect([...outcomes.values()].every((s) => s === 'COMPLETED')).toBe(true);
    const report = await p.audit();
    expect(report.violations).toEqual([]);
  });

  it('completes every saga with one charge when the order leader is killed -9 mid-saga and restarted', async () => {
    const leader = await p.leader();
    const ids = await placeMany('leader-crash', 30);
    await signalProcess(leader, 'kill', stackOptionsFromEnv());
    const successor = await waitFor(
      async () => {
        const l = await p.leader(1000).catch(() => undefined);
        return l !== undefined && l !== leader ? l : undefined;
      },
      { what: 'a new order leader', timeoutMs: 30_000, intervalMs: 100 },
    );
    expect(successor).not.toBe(leader);
    await restartProcess(leader, stackOptionsFromEnv());
    const outcomes = await p.allTerminal(ids);
    expect([...outcomes.values()].every((s) => s === 'COMPLETED')).toBe(true);
    const report = await p.audit();
    expect(report.violations).toEqual([]);
  });
});
