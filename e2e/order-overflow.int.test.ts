/**
 * Hunts issue 9, hole 4, the way a client and an operator meet it, on the whole pipeline: an
 * order of 100 lines of 950,000 units at 1e8 cents (9.5e15 cents, beyond the 2^53 - 1 the bus
 * carries) was accepted with 202 and stayed COMPENSATING for ever with 95 million units
 * reserved, and every later audit failed on it. The edge must refuse it with 400 naming the
 * field; a saga such an order left stuck before that must be listed as parked and ended by
 * `npm run sagas -- quarantine`, its reservation released, the audit passing.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BusClient } from '@seamline/bus';
import { effectKey } from '@seamline/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOrderConfig } from '../apps/order/src/config.ts';
import { OrderRecords } from '../apps/order/src/orchestrator/order-records.ts';
import type { Saga } from '../apps/order/src/saga/saga-state.ts';
import { waitFor } from '../infra/stack/index.ts';
import { metricSum, Pipeline } from './pipeline-harness.ts';

const run = promisify(execFile);
const lines = Array.from({ length: 100 }, (_, i) => ({
  sku: `sku-${i + 1}`,
  qty: 950_000,
  unitPriceCents: 100_000_000,
}));
const overflowOrder = { customerId: 'cust-1', items: lines, currency: 'USD' };

let p: Pipeline;
beforeAll(async () => {
  p = await Pipeline.start({
    orderReplicas: 1,
    // Apart from the other stacks' test ports on a shared machine.
    basePort: 3860 + Number(process.env.SEAMLINE_STACK_OFFSET ?? 0),
    order: { orchestrator: { orphanSweepMs: 200 } },
  });
  await p.seed(20, 100);
});
afterAll(async () => {
  await p?.stop();
});

/** `npm run sagas -- ...` as an operator runs it, against this pipeline's leader. */
async function sagasCli(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(
      process.execPath,
      ['infra/sagas.ts', ...args, '--urls', p.leader.url],
      { cwd: new URL('..', import.meta.url).pathname, timeout: 30_000 },
    );
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('hole 4: an order whose total overflows the bus contract', () => {
  it('is refused at the edge with 400 problem+json naming the field, and nothing is created or reserved', async () => {
    const res = await fetch(`${p.leader.url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'overflow-1' },
      body: JSON.stringify(overflowOrder),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await res.json()) as { errors: { field: string; message: string }[] };
    expect(problem.errors).toEqual([
      {
        field: 'items',
        message: expect.stringContaining('9500000000000000 cents; at most 9007199254740991'),
      },
    ]);
    const listed = (await (await fetch(`${p.leader.url}/orders`)).json()) as { orders: unknown[] };
    expect(listed.orders).toEqual([]);
    expect(p.leader.orchestrator.openCount).toBe(0);
    const report = await p.audit();
    expect(report.counts.effects.reserve).toBe(0);
    expect(report.ok).toBe(true);
  });

  it('left stuck before the fix, is listed as parked and ended by `npm run sagas -- quarantine`: reservation released, audit passing', async () => {
    const leader = p.leader;
    const orderId = 'ord-overflow-legacy';
    // The reservation the old code made for it: 95 million units.
    const cfg = readOrderConfig(p.baseEnv());
    const bus = await BusClient.connect({
      servers: [...cfg.nats],
      requester: 'order',
      naming: {
        streamPrefix: cfg.busPrefix.toUpperCase().replace(/-/g, '_'),
        subjectPrefix: cfg.busPrefix,
      },
      replicas: cfg.busReplicas,
    });
    try {
      await bus.send(
        'inventory',
        'reserve',
        { orderId, items: lines.map(({ sku, qty }) => ({ sku, qty })) },
        {
          sagaId: orderId,
          step: 'reserve',
          idempotencyKey: effectKey(orderId, 'reserve'),
          deadline: Date.now() + 30_000,
          attempt: 1,
        },
      );
    } finally {
      await bus.close();
    }
    await waitFor(async () => (await p.audit(false)).counts.effects.reserve === 1, {
      what: 'the legacy reservation applied',
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    // The saga as the old code left it: deadline passed, the refund first in line and unbuildable.
    const now = Date.now();
    const legacy: Saga = {
      orderId,
      customerId: 'cust-1',
      items: lines,
      totalCents: 9_500_000_000_000_000,
      currency: 'USD',
      createdAt: now - 60_000,
      deadline: now - 15_000,
      status: 'COMPENSATING',
      reason: 'DEADLINE_EXCEEDED',
      reserve: 'done',
      charge: 'pending',
      outstanding: { action: 'refund', sentAt: now - 15_000, sends: 1 },
      compensations: ['release'],
      history: [{ at: now - 60_000, event: 'accepted' }],
      finishedAt: null,
    };
    await new OrderRecords(leader.store).save(legacy, leader.orchestrator.currentToken!);

    const before = await p.audit(false);
    expect(before.nonTerminal).toEqual([{ orderId, status: 'COMPENSATING' }]);
    expect(before.violations.map((v) => v.rule)).not.toContain('orphan-effect');
    expect(before.violations.map((v) => v.rule)).not.toContain('malformed-record');

    const stuck = await waitFor(
      async () => {
        const r = await sagasCli('stuck');
        return r.out.includes('PARKED') ? r : undefined;
      },
      { what: 'the legacy saga listed as parked', timeoutMs: 20_000, intervalMs: 250 },
    );
    expect(stuck.code).toBe(1);
    expect(stuck.out).toContain(`${orderId}  PARKED BAD_COMMAND at refund`);
    expect(stuck.out).toContain(`npm run sagas -- quarantine ${orderId}`);
    expect(await metricSum(leader.url, 'seamline_sagas_stuck')).toBe(1);

    const quarantined = await sagasCli('quarantine', orderId, '--note', 'issue 9 hole 4');
    expect(quarantined.code).toBe(0);
    expect(quarantined.out).toMatch(new RegExp(`quarantined ${orderId}: .*skipped refund`));

    const done = await p.settled(orderId);
    expect(done).toMatchObject({ status: 'CANCELLED', reason: 'DEADLINE_EXCEEDED' });
    const events = (done.steps as { event: string }[]).map((s) => s.event);
    expect(events).toEqual(expect.arrayContaining(['refund:skipped', 'release:sent', 'cancelled']));
    expect((await sagasCli('stuck')).code).toBe(0);
    expect(await metricSum(leader.url, 'seamline_sagas_stuck')).toBe(0);

    const report = await p.audit();
    expect(report.violations).toEqual([]);
    expect(report.counts.effects).toMatchObject({ reserve: 1, release: 1, charge: 0, refund: 0 });
    expect(report.overLimit).toEqual([
      { orderId, status: 'CANCELLED', totalCents: 9_500_000_000_000_000 },
    ]);
  });
});
