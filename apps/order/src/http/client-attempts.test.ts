/**
 * Hunts client-layer counting bugs at the order edge: a request not counted because it was
 * answered with a replay, 409, 422 or a problem; a request counted twice when a follower hands
 * it to the leader (which counts it); counts kept under a key the admin view cannot find by the
 * order id; and an idle key's count never observed, or observed under another layer.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics, effectAttemptsObserver } from '@seamline/observability';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HttpAnswer, OrderService } from '../order-service.ts';
import { orderIdFor } from '../order-service.ts';
import { ClientAttempts } from './client-attempts.ts';
import { OrdersController } from './orders.controller.ts';
import { ProblemError } from './problem.ts';

const order = {
  customerId: 'cust-1',
  items: [{ sku: 'sku-1', qty: 1, unitPriceCents: 100 }],
  currency: 'USD',
};

function fakeReply() {
  const sent: { status: number; body: unknown }[] = [];
  let status = 200;
  const reply = {
    header: () => reply,
    status: (s: number) => ((status = s), reply),
    type: () => reply,
    send: (body: unknown) => (sent.push({ status, body }), Promise.resolve(reply)),
  };
  return { reply: reply as unknown as FastifyReply, sent };
}

const request = (key: string, body: unknown = order) =>
  ({
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body,
    url: '/orders',
    log: { error: () => undefined },
  }) as unknown as FastifyRequest;

/** A controller whose service answers each POST with the next scripted answer or error. */
function edge(script: (HttpAnswer | Error)[]) {
  const clock = { now: 0 };
  const metrics = createMetrics(new Registry(), { collectDefaults: false });
  const attempts = new ClientAttempts({
    observer: effectAttemptsObserver(metrics, 'client'),
    counter: { ttlMs: 1_000, clock: () => clock.now },
  });
  const service = {
    place: () => {
      const next = script.shift();
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next!);
    },
  } as unknown as OrderService;
  const controller = new OrdersController(service, attempts);
  const post = async (key: string, body?: unknown) => {
    const { reply, sent } = fakeReply();
    await controller.place(request(key, body), reply);
    return sent[0]?.status;
  };
  return { clock, metrics, attempts, post };
}

const accepted: HttpAnswer = { status: 202, bodyText: '{}', headers: {} };

describe('client attempts at the order edge', () => {
  it('counts every request for a key, replays, 409, 422 and bad bodies included', async () => {
    const { attempts, post } = edge([
      accepted,
      accepted,
      new ProblemError(409, 'Request in flight', 'busy'),
      new ProblemError(422, 'Idempotency-Key reused', 'other body'),
    ]);
    expect(await post('k-1')).toBe(202);
    expect(await post('k-1')).toBe(202);
    expect(await post('k-1')).toBe(409);
    expect(await post('k-1')).toBe(422);
    expect(await post('k-1', { customerId: 'x' })).toBe(400);
    expect(attempts.requests(orderIdFor('k-1'))).toBe(5);
    expect(attempts.requests(orderIdFor('k-2'))).toBe(0);
  });

  it('leaves a request a follower forwarded to the leader that answered it', async () => {
    const { attempts, post } = edge([
      { ...accepted, forwarded: true },
      new ProblemError(503, 'No leader', 'none'),
    ]);
    expect(await post('k-1')).toBe(202);
    expect(attempts.requests(orderIdFor('k-1'))).toBe(0);
    expect(await post('k-1')).toBe(503);
    expect(attempts.requests(orderIdFor('k-1'))).toBe(1);
  });

  it("observes a key's request count once, under layer client, when it has gone idle", async () => {
    const { clock, metrics, attempts, post } = edge([accepted, accepted, accepted]);
    for (let i = 0; i < 3; i++) await post('k-1');
    attempts.sweep();
    const count = async () =>
      (await metrics.effectAttempts.get()).values.find(
        (v) => v.metricName === 'seamline_effect_attempts_sum' && v.labels['layer'] === 'client',
      )?.value;
    expect(await count()).toBe(0);
    clock.now = 1_000;
    attempts.sweep();
    attempts.sweep();
    expect(await count()).toBe(3);
    expect(attempts.requests(orderIdFor('k-1'))).toBe(0);
  });
});
