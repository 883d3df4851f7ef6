/**
 * Hunts a saga stuck for ever because one of its commands cannot be built (issue 9, hole 4): an
 * order whose total is beyond what the bus carries made `commandFor` throw outside the step's
 * error handling, so neither the charge nor the refund was sent and the reservation was never
 * released. Also hunts the way out going wrong: a parked saga that is silently dropped, rewritten
 * every tick, or quarantined although it could still be driven.
 */
import type { createMetrics } from '@seamline/observability';
import { describe, expect, it } from 'vitest';
import type { Harness } from '../../test/orchestrator-harness.ts';
import { leadingOrchestrator } from '../../test/orchestrator-harness.ts';
import type { Saga } from '../saga/saga-state.ts';
import { QuarantineRefusedError } from './orchestrator.ts';

/** 100 lines of 950,000 units at 1e8 cents: 9.5e15 cents, beyond 2^53 - 1. */
const overflowItems = Array.from({ length: 100 }, (_, i) => ({
  sku: `sku-${i + 1}`,
  qty: 950_000,
  unitPriceCents: 100_000_000,
}));

/** Leads with `open`; every record these tests reload is one the orchestrator must park. */
const leading = (open: Saga[] = []): Promise<Harness> =>
  leadingOrchestrator(open, {
    reloaded: (orch) => open.every((s) => orch.parkedReason(s.orderId) !== undefined),
  });

async function gauge(metrics: ReturnType<typeof createMetrics>, name: string): Promise<number> {
  const line = (await metrics.render()).split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1]);
}

/** The record the old code left behind: deadline passed, refund first in line, never sendable. */
function stuckRecord(orderId: string, at: number): Saga {
  return {
    orderId,
    customerId: 'cust-1',
    items: overflowItems,
    totalCents: 9_500_000_000_000_000,
    currency: 'USD',
    createdAt: at - 60_000,
    deadline: at - 30_000,
    status: 'COMPENSATING',
    reason: 'DEADLINE_EXCEEDED',
    reserve: 'done',
    charge: 'pending',
    outstanding: { action: 'refund', sentAt: at - 30_000, sends: 1 },
    compensations: ['release'],
    history: [{ at: at - 60_000, event: 'accepted' }],
    finishedAt: null,
  };
}

describe('hole 4: a command that cannot be built', () => {
  it('ends the saga in compensation when the charge cannot be built: the reservation is released, the order CANCELLED', async () => {
    const h = await leading();
    const order = {
      orderId: 'ord-overflow',
      customerId: 'cust-1',
      items: overflowItems,
      currency: 'USD' as const,
      deadline: h.now.ms + 30_000,
    };
    await h.orch.place(order, 'key-overflow', () => ({
      fingerprint: 'f',
      orderId: order.orderId,
      status: 202,
      bodyText: '{}',
    }));
    expect(h.sent.map((s) => s.action)).toEqual(['reserve']);

    await h.reply('reserve', order.orderId, { outcome: 'reserved' });
    expect(h.sent.map((s) => s.action)).toEqual(['reserve', 'release']);
    const compensating = h.stored.get(order.orderId)!;
    expect(compensating.status).toBe('COMPENSATING');
    expect(compensating.history.map((e) => e.event)).toContain('charge:unsent');
    expect(compensating.history.find((e) => e.event === 'charge:unsent')?.detail).toBe(
      'BAD_COMMAND',
    );

    await h.reply('release', order.orderId, { outcome: 'released' });
    expect(h.stored.get(order.orderId)).toMatchObject({
      status: 'CANCELLED',
      reserve: 'compensated',
    });
    expect(h.orch.openCount).toBe(0);
    expect(h.orch.stuckSagas()).toEqual([]);
  });

  it('parks a saga whose compensation cannot be built: counted and listed as stuck, not rewritten every tick', async () => {
    const h = await leading([stuckRecord('ord-stuck', 1_000_000)]);
    expect(h.sent).toEqual([]); // the refund was never sent: it cannot be built
    expect(h.orch.stuckSagas().map((s) => s.orderId)).toEqual(['ord-stuck']);
    expect(h.orch.parkedReason('ord-stuck')).toMatchObject({
      code: 'BAD_COMMAND',
      action: 'refund',
    });
    expect(h.orch.parkedReason('ord-stuck')?.detail).toMatch(/amountCents/);
    expect(await gauge(h.metrics, 'seamline_sagas_stuck')).toBe(1);
    // The refusal is on record for GET /orders/:id, once.
    const writes = h.saves.length;
    expect(h.stored.get('ord-stuck')?.history.at(-1)).toMatchObject({
      event: 'refund:unsent',
      detail: 'BAD_COMMAND',
    });
    for (let i = 0; i < 5; i++) {
      h.now.ms += 5_000;
      await h.tick();
    }
    expect(h.saves.length).toBe(writes);
    expect(h.sent).toEqual([]);
    expect(h.orch.stuckSagas().map((s) => s.orderId)).toEqual(['ord-stuck']);
  });

  it('lets an operator quarantine it: the refund that cannot be built is skipped, the release goes out, the order ends CANCELLED', async () => {
    const h = await leading([stuckRecord('ord-stuck', 1_000_000)]);
    const result = await h.orch.quarantine('ord-stuck', 'issue 9: total beyond the bus');
    expect(result.skipped.map((s) => s.action)).toEqual(['refund']);
    expect(result.leftApplied).toEqual([]);
    expect(h.sent.map((s) => s.action)).toEqual(['release']);
    expect(h.orch.stuckSagas()).toEqual([]);
    expect(await gauge(h.metrics, 'seamline_sagas_stuck')).toBe(0);

    await h.reply('release', 'ord-stuck', { outcome: 'released' });
    const done = h.stored.get('ord-stuck')!;
    expect(done).toMatchObject({ status: 'CANCELLED', reason: 'DEADLINE_EXCEEDED' });
    expect(done.history.find((e) => e.event === 'refund:skipped')?.detail).toMatch(
      /quarantined by an operator \(issue 9: total beyond the bus\)/,
    );
  });

  it('refuses to quarantine a saga the orchestrator can still drive', async () => {
    const h = await leading();
    await h.orch.place(
      {
        orderId: 'ord-ok',
        customerId: 'cust-1',
        items: [{ sku: 'sku-1', qty: 1, unitPriceCents: 100 }],
        currency: 'USD',
        deadline: h.now.ms + 30_000,
      },
      'key-ok',
      () => ({ fingerprint: 'f', orderId: 'ord-ok', status: 202, bodyText: '{}' }),
    );
    await expect(h.orch.quarantine('ord-ok', 'no')).rejects.toBeInstanceOf(QuarantineRefusedError);
    await expect(h.orch.quarantine('ord-unknown', 'no')).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(h.stored.get('ord-ok')?.status).toBe('PENDING');
  });

  it('parks a record the saga machine cannot read, and lets an operator end it, naming what it leaves applied', async () => {
    // Written by some older schema: no history, which every transition of the machine extends.
    const broken = {
      ...stuckRecord('ord-broken', 1_000_000),
      totalCents: 100,
      history: undefined,
    } as unknown as Saga;
    const h = await leading([broken]);
    expect(h.orch.parkedReason('ord-broken')?.code).toBe('BAD_RECORD');
    expect(h.orch.stuckSagas().map((s) => s.orderId)).toEqual(['ord-broken']);
    const result = await h.orch.quarantine('ord-broken', 'damaged record');
    expect(result.leftApplied).toEqual(['refund', 'release']);
    expect(h.sent).toEqual([]);
    expect(h.stored.get('ord-broken')).toMatchObject({ status: 'CANCELLED', outstanding: null });
    expect(h.orch.openCount).toBe(0);
  });
});
