/**
 * Hunts a second leader made by a takeover that outlives its lease: the election reports the
 * lease lost while `lead` still awaits the fence, the reload or the reply consumer, and the
 * takeover finishes anyway and leads with no lease. Also a takeover that reloads around its
 * fence (hole 2) or writes with the election's token instead of the one it claimed (hole 5).
 */
import { Backoff, RetryBudgets } from '@seamline/retry-budget';
import { createLogger, createMetrics } from '@seamline/observability';
import type { BusClient } from '@seamline/bus';
import { describe, expect, it } from 'vitest';
import type { Saga } from '../saga/saga-state.ts';
import type { OrderRecords } from './order-records.ts';
import { Orchestrator } from './orchestrator.ts';

function gate<T>() {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

function orchestrator(o: {
  loadOpen: (fence?: number) => Promise<Saga[]>;
  replies: () => Promise<unknown>;
}) {
  const stopped: string[] = [];
  const bus = {
    consumeReplies: async () => {
      await o.replies();
      return { stop: async () => void stopped.push('replies') };
    },
  } as unknown as BusClient;
  const orch = new Orchestrator({
    records: { loadOpen: o.loadOpen } as unknown as OrderRecords,
    bus,
    metrics: createMetrics(),
    log: createLogger({ service: 'order', level: 'silent' }),
    clock: () => 0,
    onFenced: () => {},
    budgets: new RetryBudgets({}),
    backoff: new Backoff({ baseMs: 100, maxMs: 1_000 }),
  });
  return { orch, stopped };
}

const fence = { claimFence: async (_domain: string, proposed: number) => ({ token: proposed }) };

describe('Orchestrator takeover', () => {
  it('does not lead when the lease is lost while the open sagas reload', async () => {
    const reload = gate<Saga[]>();
    const { orch, stopped } = orchestrator({
      loadOpen: () => reload.promise,
      replies: async () => {},
    });
    const takeover = orch.lead(7, fence);
    await orch.abdicate('lease lost: expired');
    reload.open([]);
    await takeover;
    expect(orch.leading).toBe(false);
    expect(orch.currentToken).toBeUndefined();
    expect(stopped).toEqual([]);
  });

  it('does not lead, and drops its reply consumer, when the lease is lost while it subscribes', async () => {
    const subscribed = gate<void>();
    const { orch, stopped } = orchestrator({
      loadOpen: async () => [],
      replies: () => subscribed.promise,
    });
    const takeover = orch.lead(7, fence);
    await new Promise((r) => setImmediate(r));
    expect(orch.leading).toBe(true);
    await orch.abdicate('lease lost: superseded');
    subscribed.open();
    await takeover;
    expect(orch.leading).toBe(false);
    expect(stopped).toEqual(['replies']);
  });

  it('hole 2 and 5: leads with the token it claimed and reloads the open sagas through that fence', async () => {
    const reloadedThrough: (number | undefined)[] = [];
    const { orch } = orchestrator({
      loadOpen: async (f) => {
        reloadedThrough.push(f);
        return [];
      },
      replies: async () => {},
    });
    // The election handed out 7 again; the store claimed 12, above the fences it found.
    await orch.lead(7, { claimFence: async () => ({ token: 12 }) });
    expect(orch.currentToken).toBe(12);
    expect(reloadedThrough).toEqual([12]);
    await orch.abdicate('shutdown');
  });

  it('leads after an undisturbed takeover, until it abdicates', async () => {
    const { orch, stopped } = orchestrator({ loadOpen: async () => [], replies: async () => {} });
    await orch.lead(7, fence);
    expect(orch.currentToken).toBe(7);
    await orch.abdicate('shutdown');
    expect(orch.leading).toBe(false);
    expect(stopped).toEqual(['replies']);
  });
});
