/**
 * Commands and replies over real JetStream, through a Nest microservice.
 * Hunts: a reply that loses or alters the saga headers; a handler that sees as much time as its
 * caller; duplicate deliveries that bypass the handler (so idempotency would go untested); work
 * started after the deadline; terminal errors redelivered; a dropped reply that still gets sent;
 * consumer lag that never drains.
 */
import { trace } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import {
  BusClient,
  BusDeadlineError,
  TerminalCommandError,
  type BusCommand,
  type BusReplyMessage,
} from '../index.ts';
import {
  adminConnection,
  deleteStreams,
  privateNaming,
  publishRaw,
  readStream,
  replicasFor,
  startService,
  waitFor,
  type RunningService,
} from './bus-harness.ts';

const charge = z.object({ orderId: z.string(), amountCents: z.number().int().positive() });
type Charge = z.infer<typeof charge>;
const reserve = z.object({ orderId: z.string() });

const seen: BusCommand<unknown>[] = [];
const callsFor = (key: string) => seen.filter((c) => c.idempotencyKey === key);

@Controller()
class PaymentController {
  @MessagePattern('payment.charge')
  chargeCard(cmd: BusCommand<Charge>) {
    seen.push(cmd);
    return { charged: cmd.payload.amountCents, remainingMs: cmd.remainingMs() };
  }

  @MessagePattern('payment.decline')
  decline(cmd: BusCommand<Charge>) {
    seen.push(cmd);
    throw new TerminalCommandError('INSUFFICIENT_FUNDS', `order ${cmd.payload.orderId} declined`);
  }
}

@Controller()
class InventoryController {
  @MessagePattern('inventory.reserve')
  async reserveStock(cmd: BusCommand<{ orderId: string }>) {
    seen.push(cmd);
    return { reserved: cmd.payload.orderId };
  }
}

const stack = inject('stack');
const naming = privateNaming();
const common = { servers: stack.nats, naming, replicas: replicasFor(stack.nats) };
let payment: RunningService;
let inventory: RunningService;
let client: BusClient;
const replies: BusReplyMessage[] = [];
const droppedReplyFor = new Set<string>();
const replyFor = (key: string) =>
  waitFor(`reply for ${key}`, () => replies.find((r) => r.idempotencyKey === key));
const headersFor = (sagaId: string, step: string, action: string) => ({
  sagaId,
  step,
  idempotencyKey: `${sagaId}:${step}:${action}`,
  deadline: Date.now() + 30_000,
  attempt: 1,
});

beforeAll(async () => {
  // Context manager + W3C propagator, as the apps' OTel SDK installs them.
  new NodeTracerProvider().register();
  payment = await startService([PaymentController], {
    ...common,
    service: 'payment',
    schemas: { 'payment.charge': charge, 'payment.decline': charge },
    faults: {
      afterCommit: (cmd) => (droppedReplyFor.has(cmd.idempotencyKey) ? 'drop-reply' : undefined),
    },
  });
  inventory = await startService([InventoryController], {
    ...common,
    service: 'inventory',
    schemas: { 'inventory.reserve': reserve },
    duplicateDelivery: 3,
  });
  client = await BusClient.connect({ ...common, requester: 'order' });
  await client.consumeReplies('order', async (m) => {
    replies.push(m);
  });
});

afterAll(async () => {
  await client?.close();
  await payment?.app.close();
  await inventory?.app.close();
  const { nc, jsm } = await adminConnection(stack.nats);
  await deleteStreams(jsm, naming.bus);
  await nc.close();
});

describe('a command and its reply', () => {
  it('is handled once and answered with the same saga headers and trace context', async () => {
    const h = headersFor('saga-a', 'charge', 'charge');
    const sentAt = Date.now();
    const { receipt, traceparent } = await trace
      .getTracer('bus-test')
      .startActiveSpan('send', async (span) => {
        const c = span.spanContext();
        const sent = await client.send(
          'payment',
          'charge',
          { orderId: 'o-1', amountCents: 1250 },
          h,
        );
        span.end();
        return { receipt: sent, traceparent: `00-${c.traceId}-${c.spanId}-0${c.traceFlags}` };
      });
    expect(receipt).toMatchObject({ duplicate: false, msgId: 'saga-a:charge:charge:1' });

    const reply = await replyFor(h.idempotencyKey);
    expect(reply).toMatchObject({
      sagaId: 'saga-a',
      step: 'charge',
      idempotencyKey: 'saga-a:charge:charge',
      deadline: h.deadline,
      attempt: 1,
      pattern: 'payment.charge',
      traceparent,
      reply: { ok: true, result: { charged: 1250 } },
    });
    const [cmd] = callsFor(h.idempotencyKey);
    expect(callsFor(h.idempotencyKey)).toHaveLength(1);
    expect(cmd?.traceparent).toBe(traceparent);
    // The caller's deadline less the reply reserve, give or take the publish (the one stretch no
    // clock sees: the sender's clock read to the server's stamp; ADR 0014).
    expect(cmd?.deadline).toBeLessThan(h.deadline + 1_000);
    expect(cmd?.deadline).toBeGreaterThan(h.deadline - 1_000);
    const handlerRemaining = (reply.reply as { result: { remainingMs: number } }).result
      .remainingMs;
    expect(handlerRemaining).toBeLessThan(h.deadline - sentAt);
  });

  it('deduplicates an accidental re-publish of the same attempt but delivers a re-drive', async () => {
    const h = headersFor('saga-b', 'charge', 'charge');
    await client.send('payment', 'charge', { orderId: 'o-2', amountCents: 1 }, h);
    const again = await client.send('payment', 'charge', { orderId: 'o-2', amountCents: 1 }, h);
    expect(again.duplicate).toBe(true);
    const redrive = await client.send(
      'payment',
      'charge',
      { orderId: 'o-2', amountCents: 1 },
      { ...h, attempt: 2 },
    );
    expect(redrive.duplicate).toBe(false);
    await waitFor('both attempts handled', () => callsFor(h.idempotencyKey).length === 2);
    expect(
      callsFor(h.idempotencyKey)
        .map((c) => c.attempt)
        .sort(),
    ).toEqual([1, 2]);
  });

  it('answers a terminal handler error with ok:false and does not redeliver it', async () => {
    const h = headersFor('saga-c', 'charge', 'decline');
    await client.send('payment', 'decline', { orderId: 'o-3', amountCents: 9 }, h);
    const reply = await replyFor(h.idempotencyKey);
    expect(reply.reply).toEqual({
      ok: false,
      code: 'INSUFFICIENT_FUNDS',
      message: 'order o-3 declined',
      retryable: false,
    });
    await waitFor(
      'command acked',
      async () => (await payment.server.consumerLag())[0]?.ackPending === 0,
    );
    expect(callsFor(h.idempotencyKey)).toHaveLength(1);
  });
});

describe('duplicate delivery switch', () => {
  it('runs the handler three times per delivered command and publishes one reply', async () => {
    const h = headersFor('saga-d', 'reserve', 'reserve');
    await client.send('inventory', 'reserve', { orderId: 'o-4' }, h);
    await replyFor(h.idempotencyKey);
    await waitFor('three runs', () => callsFor(h.idempotencyKey).length === 3);
    await waitFor('inventory drained', async () => {
      const [lag] = await inventory.server.consumerLag();
      return lag?.pending === 0 && lag.ackPending === 0;
    });
    expect(callsFor(h.idempotencyKey).map((c) => c.deliveryCount)).toEqual([1, 2, 3]);
    const { nc, jsm } = await adminConnection(stack.nats);
    const stored = (await readStream(jsm, naming.bus.replyStream)).filter(
      (m) => m.headers['Seamline-Idempotency-Key'] === h.idempotencyKey,
    );
    await nc.close();
    expect(stored).toHaveLength(1);
  });
});

describe('deadlines', () => {
  it('refuses to send a command whose deadline already passed', async () => {
    await expect(
      client.send(
        'payment',
        'charge',
        { orderId: 'o', amountCents: 1 },
        { ...headersFor('saga-e', 'charge', 'charge'), deadline: Date.now() - 1 },
      ),
    ).rejects.toBeInstanceOf(BusDeadlineError);
  });

  it('never starts an expired command and answers DEADLINE_EXCEEDED', async () => {
    const h = headersFor('saga-f', 'charge', 'charge');
    // 5 ms left at publish, less than the server's 10 ms reply reserve: spent on arrival.
    const { nc, jsm } = await adminConnection(stack.nats);
    await publishRaw(
      jsm,
      naming.bus.commandSubject('payment', 'charge'),
      new TextEncoder().encode(JSON.stringify({ orderId: 'o-6', amountCents: 5 })),
      {
        'Seamline-Saga-Id': h.sagaId,
        'Seamline-Step': h.step,
        'Seamline-Idempotency-Key': h.idempotencyKey,
        'Seamline-Deadline': String(h.deadline),
        'Seamline-Budget-Ms': '5',
        'Seamline-Attempt': '1',
        'Seamline-Reply-To': 'order',
      },
    );
    await nc.close();
    const reply = await replyFor(h.idempotencyKey);
    expect(reply.reply).toMatchObject({ ok: false, code: 'DEADLINE_EXCEEDED', retryable: false });
    expect(callsFor(h.idempotencyKey)).toHaveLength(0);
  });
});

describe('start-up', () => {
  it('refuses to listen when a handler has no payload schema or the wrong service', async () => {
    await expect(
      startService([PaymentController], {
        ...common,
        service: 'payment',
        schemas: { 'payment.charge': charge },
      }),
    ).rejects.toThrow(/payment\.decline: no schema in options\.schemas/);
    await expect(
      startService([InventoryController], { ...common, service: 'payment', schemas: {} }),
    ).rejects.toThrow(/inventory\.reserve: pattern must be "payment\.<action>"/);
  });
});

describe('fault hooks and lag', () => {
  it('drops the reply after the handler committed, still acks, and reports zero lag', async () => {
    const h = headersFor('saga-g', 'charge', 'charge');
    droppedReplyFor.add(h.idempotencyKey);
    await client.send('payment', 'charge', { orderId: 'o-7', amountCents: 7 }, h);
    await waitFor('handled', () => callsFor(h.idempotencyKey).length === 1);
    await waitFor('payment drained', async () => {
      const [lag] = await payment.server.consumerLag();
      return lag?.pending === 0 && lag.ackPending === 0;
    });
    // A later reply proves the reply stream is flowing, so the missing one was really dropped.
    const next = headersFor('saga-h', 'charge', 'charge');
    await client.send('payment', 'charge', { orderId: 'o-8', amountCents: 8 }, next);
    await replyFor(next.idempotencyKey);
    await waitFor('replies drained', async () => (await client.consumerLag())[0]?.ackPending === 0);
    expect(replies.filter((r) => r.idempotencyKey === h.idempotencyKey)).toHaveLength(0);
    const lag = await waitFor('payment drained again', async () => {
      const l = await payment.server.consumerLag();
      return l[0]?.ackPending === 0 ? l : undefined;
    });
    expect(lag).toEqual([{ consumer: 'payment', pending: 0, ackPending: 0 }]);
    const { nc, jsm } = await adminConnection(stack.nats);
    const stored = (await readStream(jsm, naming.bus.replyStream)).filter(
      (m) => m.headers['Seamline-Idempotency-Key'] === h.idempotencyKey,
    );
    await nc.close();
    expect(stored).toHaveLength(0);
  });
});
