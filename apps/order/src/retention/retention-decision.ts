import type { Version } from '@seamline/quorum-store';
import type { RetiredKey, StoredResponse } from '../orchestrator/order-records.ts';
import type { Saga } from '../saga/saga-state.ts';
import { isTerminal } from '../saga/saga-state.ts';

/**
 * What order retention may delete (ADR 0017), pure. An order is prunable once it is terminal
 * (COMPLETED or CANCELLED: no step, compensation or re-drive will ever touch it again) and it
 * finished at least `retentionMs` ago. Its record and the response its Idempotency-Key replays
 * go together, in one batch: a key whose order is gone must not replay a 202 pointing at a 404,
 * and an order whose key still replays must still be readable. `retentionMs` 0 keeps everything.
 */
export function isPrunable(saga: Saga | undefined, now: number, retentionMs: number): boolean {
  if (retentionMs <= 0 || saga === undefined) return false;
  if (!isTerminal(saga.status) || saga.finishedAt === null) return false;
  return now - saga.finishedAt >= retentionMs;
}

/** What `http-idem:<key>` keeps once its order is pruned: every order the key created. */
export function retire(response: StoredResponse, saga: Saga): RetiredKey {
  const status = saga.status === 'COMPLETED' ? 'COMPLETED' : 'CANCELLED';
  return {
    retired: true,
    pruned: [
      ...(response.pruned ?? []),
      { orderId: saga.orderId, status, reason: saga.reason ?? null },
    ],
  };
}

/** A stored response and the order it created, as one retention page read them. */
export interface PlacedOrder {
  readonly key: string;
  readonly response: StoredResponse;
  readonly version: Version;
  readonly saga: Saga | undefined;
}

export interface PruneEntry {
  readonly key: string;
  readonly orderId: string;
  readonly version: Version;
  readonly retired: RetiredKey;
}

/**
 * The entries of one page to prune. A response whose order is missing (a create still landing
 * on a quorum) or names another order is left alone.
 */
export function planPrune(
  page: readonly PlacedOrder[],
  now: number,
  retentionMs: number,
): PruneEntry[] {
  const out: PruneEntry[] = [];
  for (const p of page) {
    const saga = p.saga;
    if (saga === undefined || saga.orderId !== p.response.orderId) continue;
    if (!isPrunable(saga, now, retentionMs)) continue;
    out.push({
      key: p.key,
      orderId: saga.orderId,
      version: p.version,
      retired: retire(p.response, saga),
    });
  }
  return out;
}
