/**
 * The use cases behind the HTTP API. Placing an order is the leader's job (it is the single
 * fenced writer of the order domain); a follower forwards the request to the leader it last saw
 * elected. Reads are quorum reads and any replica answers them.
 */
import { createHash } from 'node:crypto';
import { fingerprint } from '@seamline/contracts';
import { injectTraceparent } from '@seamline/observability';
import type { Orchestrator } from './orchestrator/orchestrator.ts';
import type { OrderRecords, StoredResponse } from './orchestrator/order-records.ts';
import type { OrderStatus, Saga } from './saga/saga-state.ts';
import { isTerminal } from './saga/saga-state.ts';
import type { PlaceOrderBody } from './http/order-request.ts';
import { ProblemError, retryAfterSeconds } from './http/problem.ts';

export interface OrderServiceOptions {
  /** Saga deadline when the client asks for none. @default 30000 */
  readonly defaultDeadlineMs: number;
  /** Longest `?waitMs` honoured. @default 30000 */
  readonly maxWaitMs: number;
}

export interface HttpAnswer {
  readonly status: number;
  readonly bodyText: string;
  readonly headers: Record<string, string>;
  /** True when the leader answered it (a follower forwarded the request): the leader counted it. */
  readonly forwarded?: boolean;
}

export interface LeaderDirectory {
  /** Base URL of the current leader's HTTP API, when known and not this process. */
  leaderUrl(): string | undefined;
}

export class OrderService {
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly orchestrator: Orchestrator,
    private readonly records: OrderRecords,
    private readonly leaders: LeaderDirectory,
    private readonly o: OrderServiceOptions,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * POST /orders per the IETF Idempotency-Key draft: replay the stored response for the same key
   * and body, 422 for the same key with another body, 409 while the first is in flight. With
   * `waitMs` (the client sent `Prefer: wait=N`, RFC 7240) the answer waits up to that long for the
   * order to finish: 200 with the terminal order, else 202 with where it stands.
   */
  async place(
    key: string,
    body: PlaceOrderBody,
    deadlineMs: number | undefined,
    rawBody: unknown,
    waitMs = 0,
  ): Promise<HttpAnswer> {
    if (!this.orchestrator.leading)
      return this.forward(key, rawBody, deadlineMs, this.clock(), waitMs);
    const accepted = await this.accept(key, body, deadlineMs);
    if (waitMs <= 0 || accepted.status !== 202) return accepted;
    const orderId = accepted.headers.Location!.slice('/orders/'.length);
    const view = (await this.get(orderId, waitMs)) as { status: OrderStatus };
    return {
      status: isTerminal(view.status) ? 200 : 202,
      bodyText: JSON.stringify(view),
      headers: { ...accepted.headers, 'Preference-Applied': `wait=${Math.ceil(waitMs / 1000)}` },
    };
  }

  private async accept(
    key: string,
    body: PlaceOrderBody,
    deadlineMs: number | undefined,
  ): Promise<HttpAnswer> {
    if (this.inFlight.has(key)) {
      throw new ProblemError(
        409,
        'Request in flight',
        'a request with this Idempotency-Key is still being processed; retry later',
        [],
        { 'Retry-After': '1' },
      );
    }
    this.inFlight.add(key);
    try {
      const print = fingerprint(body);
      // Retention may have pruned orders of this key before: the key then names a new order,
      // with an id of its own (ADR 0017).
      const placed = await this.records.loadPlaced(key, (generation) =>
        orderIdFor(key, generation),
      );
      const orderId = placed.orderId;
      if (placed.response !== undefined) {
        const answer = replay(placed.response, print);
        // A predecessor's partial create can be replayed although no leader drives it.
        if (placed.saga !== undefined && !isTerminal(placed.saga.status))
          await this.orchestrator.adopt(orderId, placed.saga);
        return answer;
      }
      if (placed.saga !== undefined && !sameOrder(placed.saga, body)) throw reusedKey();
      const now = this.clock();
      const { response } = await this.orchestrator.place(
        {
          orderId,
          customerId: body.customerId,
          items: body.items,
          currency: body.currency,
          deadline:
            now + Math.min(deadlineMs ?? this.o.defaultDeadlineMs, this.o.defaultDeadlineMs),
        },
        key,
        (saga) => ({
          fingerprint: print,
          orderId,
          status: 202,
          bodyText: JSON.stringify(orderView(saga, false)),
          ...(placed.pruned.length === 0 ? {} : { pruned: placed.pruned }),
        }),
        placed.saga,
      );
      return {
        status: response.status,
        bodyText: response.bodyText,
        headers: { Location: `/orders/${orderId}` },
      };
    } finally {
      this.inFlight.delete(key);
    }
  }

  /** Requests currently holding an Idempotency-Key (for tests and the dashboard). */
  inFlightCount(): number {
    return this.inFlight.size;
  }

  async get(orderId: string, waitMs: number): Promise<unknown> {
    const until = this.clock() + Math.min(waitMs, this.o.maxWaitMs);
    let saga = await this.records.loadSaga(orderId);
    if (saga === undefined)
      throw new ProblemError(404, 'Order not found', `no order ${orderId}`, [
        { field: 'orderId', message: 'unknown' },
      ]);
    // Holding the request until the saga is terminal. On the leader that drives it, the request
    // waits for the orchestrator to finish it (re-read at least every second, in case this
    // replica stops leading); elsewhere it re-reads the quorum with a growing interval, so many
    // waiting clients do not load the store that their orders need.
    let pollMs = 50;
    while (!isTerminal(saga.status) && this.clock() < until) {
      const left = Math.max(1, until - this.clock());
      if (this.orchestrator.drives(orderId)) {
        const done = await this.orchestrator.settled(orderId, Math.min(left, 1_000));
        if (done !== undefined) return orderView(done, true);
      } else {
        await new Promise((r) => setTimeout(r, Math.min(pollMs, left)));
        pollMs = Math.min(pollMs * 2, 400);
      }
      saga = (await this.records.loadSaga(orderId)) ?? saga;
    }
    return orderView(saga, true);
  }

  async list(status: string | undefined, limit: number, cursor: string | undefined) {
    const page = await this.records.list(
      status,
      limit,
      cursor === undefined ? undefined : `order:${cursor}`,
    );
    return {
      orders: page.sagas.map((s) => orderView(s, false)),
      nextCursor: page.nextKey === undefined ? null : page.nextKey.slice('order:'.length),
    };
  }

  private async forward(
    key: string,
    rawBody: unknown,
    deadlineMs: number | undefined,
    receivedAt: number,
    waitMs: number,
  ): Promise<HttpAnswer> {
    const leader = this.leaders.leaderUrl();
    // The leader sees what is left, strictly less than the client gave (relative: no clock shared).
    const budgetMs = Math.min(deadlineMs ?? this.o.defaultDeadlineMs, this.o.defaultDeadlineMs);
    const leftMs = Math.max(1, budgetMs - Math.max(1, Math.ceil(this.clock() - receivedAt)));
    if (leader === undefined) {
      throw new ProblemError(
        503,
        'No leader',
        'no order replica is leading right now; retry shortly',
        [],
        { 'Retry-After': retryAfterSeconds() },
      );
    }
    let res: Response;
    try {
      res = await fetch(`${leader}/orders`, {
        method: 'POST',
        headers: injectTraceparent({
          'content-type': 'application/json',
          'idempotency-key': key,
          'seamline-deadline-ms': String(leftMs),
          // The leader does the waiting: it is told first when the order finishes.
          ...(waitMs > 0 ? { prefer: `wait=${Math.ceil(waitMs / 1000)}` } : {}),
        }),
        body: JSON.stringify(rawBody),
        signal: AbortSignal.timeout(10_000 + Math.max(0, waitMs)),
      });
    } catch (err) {
      throw new ProblemError(
        503,
        'Leader unreachable',
        `the leader did not answer (${String(err)}); retry with the same Idempotency-Key`,
        [],
        { 'Retry-After': retryAfterSeconds() },
      );
    }
    const headers: Record<string, string> = {};
    for (const h of ['location', 'retry-after', 'content-type', 'preference-applied']) {
      const v = res.headers.get(h);
      if (v !== null) headers[h] = v;
    }
    return { status: res.status, bodyText: await res.text(), headers, forwarded: true };
  }
}

function reusedKey(): ProblemError {
  return new ProblemError(
    422,
    'Idempotency-Key reused',
    'this Idempotency-Key was first used with a different request body',
    [{ field: 'Idempotency-Key', message: 'reused with a different body' }],
  );
}

/** An order found without its response row must be the one this body asks for. */
function sameOrder(saga: Saga, body: PlaceOrderBody): boolean {
  const line = (i: { sku: string; qty: number; unitPriceCents: number }) =>
    `${i.sku}:${i.qty}:${i.unitPriceCents}`;
  return (
    saga.customerId === body.customerId &&
    saga.currency === body.currency &&
    saga.items.map(line).join(',') === body.items.map(line).join(',')
  );
}

function replay(stored: StoredResponse, print: string): HttpAnswer {
  if (stored.fingerprint !== print) throw reusedKey();
  return {
    status: stored.status,
    bodyText: stored.bodyText,
    headers: { Location: `/orders/${stored.orderId}` },
  };
}

/**
 * The order id is derived from the Idempotency-Key: a retry after an indeterminate write can
 * only ever rewrite the same order, never leave a second one behind on some replica.
 */
/**
 * The order an Idempotency-Key creates: deterministic, so a retry after an indeterminate create
 * lands on the same order. `generation` counts the orders of this key retention already pruned
 * (ADR 0017): each gets an id never used before, because payment and inventory key their books
 * by order id for ever. @default 0
 */
export function orderIdFor(key: string, generation = 0): string {
  const hash = createHash('sha256').update(key);
  if (generation > 0) hash.update(`\u0000${generation}`);
  return `ord-${hash.digest('hex').slice(0, 24)}`;
}

export function orderView(saga: Saga, withSteps: boolean): Record<string, unknown> {
  return {
    orderId: saga.orderId,
    status: saga.status,
    ...(saga.reason === null ? {} : { reason: saga.reason }),
    customerId: saga.customerId,
    items: saga.items,
    totalCents: saga.totalCents,
    currency: saga.currency,
    createdAt: new Date(saga.createdAt).toISOString(),
    deadline: new Date(saga.deadline).toISOString(),
    ...(withSteps
      ? {
          steps: saga.history.map((h) => ({
            at: new Date(h.at).toISOString(),
            event: h.event,
            ...(h.detail ? { detail: h.detail } : {}),
          })),
          finishedAt: saga.finishedAt === null ? null : new Date(saga.finishedAt).toISOString(),
        }
      : {}),
  };
}
