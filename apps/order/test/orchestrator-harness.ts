/**
 * An orchestrator leading over in-memory records and a recording bus, ticked by hand: the
 * orchestrator's own decisions, without a store or NATS (those have their integration tests).
 */
import type { BusClient, BusReplyMessage, ReplyHandler } from '@seamline/bus';
import { effectKey } from '@seamline/contracts';
import type { EffectAction } from '@seamline/contracts';
import { createLogger, createMetrics } from '@seamline/observability';
import { Backoff, RetryBudgets } from '@seamline/retry-budget';
import { afterEach, expect } from 'vitest';
import type { OrderRecords } from '../src/orchestrator/order-records.ts';
import { Orchestrator } from '../src/orchestrator/orchestrator.ts';
import type { OrchestratorOptions } from '../src/orchestrator/orchestrator.ts';
import type { Saga } from '../src/saga/saga-state.ts';

export interface Harness {
  orch: Orchestrator;
  sent: { action: string; key: string }[];
  saves: Saga[];
  stored: Map<string, Saga>;
  now: { ms: number };
  metrics: ReturnType<typeof createMetrics>;
  reply(action: EffectAction, orderId: string, result: unknown): Promise<void>;
  tick(): Promise<void>;
}

const running: Orchestrator[] = [];
afterEach(async () => {
  for (const o of running.splice(0)) await o.abdicate('test over');
});

/**
 * Leads with `open` in the store; resolves once `reloaded` holds for the orchestrator (the
 * takeover re-drives what it reloaded in the background).
 */
export async function leadingOrchestrator(
  open: Saga[] = [],
  o: {
    readonly options?: Partial<OrchestratorOptions>;
    readonly reloaded?: (orch: Orchestrator) => boolean;
  } = {},
): Promise<Harness> {
  const sent: { action: string; key: string }[] = [];
  const saves: Saga[] = [];
  const stored = new Map(open.map((s) => [s.orderId, s]));
  const now = { ms: 1_000_000 };
  let handler: ReplyHandler | undefined;
  const bus = {
    consumeReplies: async (_: string, h: ReplyHandler) => {
      handler = h;
      return { stop: async () => {} };
    },
    send: async (_service: string, action: string, _payload: unknown, h: { sagaId: string }) => {
      sent.push({ action, key: effectKey(h.sagaId, action as EffectAction) });
      return { subject: '', seq: sent.length, duplicate: false, msgId: '' };
    },
  } as unknown as BusClient;
  const records = {
    loadOpen: async () =>
      [...stored.values()].filter((s) => !['COMPLETED', 'CANCELLED'].includes(s.status)),
    loadSaga: async (id: string) => stored.get(id),
    create: async (saga: Saga) => void stored.set(saga.orderId, saga),
    save: async (saga: Saga) => {
      saves.push(saga);
      stored.set(saga.orderId, saga);
    },
    forget: () => {},
  } as unknown as OrderRecords;
  const metrics = createMetrics(undefined, { collectDefaults: false });
  const orch = new Orchestrator(
    {
      records,
      bus,
      metrics,
      log: createLogger({ service: 'order', level: 'silent' }),
      clock: () => now.ms,
      onFenced: () => {},
      budgets: new RetryBudgets({}),
      backoff: new Backoff({ baseMs: 100, maxMs: 1_000 }),
    },
    // The tests tick by hand: no timer may drive a saga behind their back.
    { tickMs: 3_600_000, orphanSweepMs: 3_600_000, redriveAfterMs: 2_000, ...o.options },
  );
  running.push(orch);
  await orch.lead(7, {
    claimFence: async (_domain: string, proposed: number) => ({ token: proposed }),
  });
  const reloaded = o.reloaded;
  if (reloaded !== undefined) await waitUntil(() => reloaded(orch));
  return {
    orch,
    sent,
    saves,
    stored,
    now,
    metrics,
    reply: (action, orderId, result) =>
      handler!({
        idempotencyKey: effectKey(orderId, action),
        reply: { ok: true, result },
        deliveryCount: 1,
      } as unknown as BusReplyMessage),
    tick: () => (orch as unknown as { tick(): Promise<void> }).tick(),
  };
}

export async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1_000 && !condition(); i++) await new Promise((r) => setImmediate(r));
  expect(condition()).toBe(true);
}
