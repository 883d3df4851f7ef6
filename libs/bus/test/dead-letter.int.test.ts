/**
 * Bad input and failing handlers over real JetStream.
 * Hunts: a malformed message that crashes the server, is retried forever, or vanishes without a
 * dead letter; a dead letter without its reason, original subject, bytes or delivery count; a
 * handler that keeps failing and is never dead-lettered (or is dead-lettered too early); an ack
 * sent before the handler finished (a crash mid-handler must lead to redelivery).
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { JetStreamManager } from '@nats-io/jetstream';
import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { BusClient, type BusCommand, type BusReplyMessage } from '../index.ts';
import {
  adminConnection,
  deleteStreams,
  gate,
  privateNaming,
  publishRaw,
  readStream,
  replicasFor,
  startService,
  waitFor,
  type RunningService,
  type StoredMessage,
} from './bus-harness.ts';

const charge = z.object({ orderId: z.string(), amountCents: z.number().int().positive() });
const seen: BusCommand<unknown>[] = [];
const callsFor = (key: string) => seen.filter((c) => c.idempotencyKey === key);
const holdFirstSlowCall = gate();
let slowCalls = 0;

@Controller()
class PaymentController {
  @MessagePattern('payment.charge')
  chargeCard(cmd: BusCommand<z.infer<typeof charge>>) {
    seen.push(cmd);
    return { charged: cmd.payload.amountCents };
  }

  @MessagePattern('payment.flaky')
  flaky(cmd: BusCommand<unknown>) {
    seen.push(cmd);
    throw new Error('card network down');
  }
}

@Controller()
class LedgerController {
  @MessagePattern('ledger.post')
  async post(cmd: BusCommand<unknown>) {
    seen.push(cmd);
    if (++slowCalls === 1) await holdFirstSlowCall.opened;
    return { posted: true };
  }
}

const stack = inject('stack');
const naming = privateNaming();
const common = { servers: stack.nats, naming, replicas: replicasFor(stack.nats) };
const ledgerOptions = {
  ...common,
  service: 'ledger',
  schemas: { 'ledger.post': z.object({}) },
  ackWaitMs: 1_000,
  drainTimeoutMs: 0,
};
const deadLetters: { reason: string; subject: string }[] = [];
let payment: RunningService;
let client: BusClient;
let admin: { nc: NatsConnection; jsm: JetStreamManager };
const replies: BusReplyMessage[] = [];
const running: RunningService[] = [];

const goodHeaders = (sagaId: string, action = 'charge'): Record<string, string> => ({
  'Seamline-Saga-Id': sagaId,
  'Seamline-Step': 'charge',
  'Seamline-Idempotency-Key': `${sagaId}:charge:${action}`,
  'Seamline-Deadline': String(Date.now() + 60_000),
  'Seamline-Attempt': '1',
  'Seamline-Reply-To': 'order',
});
const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const deadLetterFor = (pred: (m: StoredMessage) => boolean) =>
  waitFor('dead letter', async () =>
    (await readStream(admin.jsm, naming.bus.deadLetterStream)).find(pred),
  );
const sagaOf = (sagaId: string) => (m: StoredMessage) => m.headers['Seamline-Saga-Id'] === sagaId;

/** The server is alive and well: a good command still gets its reply. */
async function stillServes(sagaId: string): Promise<void> {
  await client.send(
    'payment',
    'charge',
    { orderId: sagaId, amountCents: 1 },
    {
      sagaId,
      step: 'charge',
      deadline: Date.now() + 30_000,
      attempt: 1,
    },
  );
  await waitFor(`reply for ${sagaId}`, () => replies.find((r) => r.sagaId === sagaId));
}

beforeAll(async () => {
  admin = await adminConnection(stack.nats);
  payment = await startService([PaymentController], {
    ...common,
    service: 'payment',
    schemas: { 'payment.charge': charge, 'payment.flaky': z.object({}) },
    maxDeliver: 3,
    backoff: { baseMs: 5, maxMs: 20 },
    observer: { onDeadLetter: (reason, subject) => deadLetters.push({ reason, subject }) },
  });
  client = await BusClient.connect({ ...common, requester: 'order' });
  await client.consumeReplies('order', async (m) => {
    replies.push(m);
  });
});

afterAll(async () => {
  await client?.close();
  for (const s of [payment, ...running]) await s?.app.close().catch(() => undefined);
  await deleteStreams(admin.jsm, naming.bus);
  await admin.nc.close();
});

describe('malformed commands go to the dead-letter stream and the server keeps serving', () => {
  it('garbage bytes', async () => {
    const subject = naming.bus.commandSubject('payment', 'charge');
    await publishRaw(
      admin.jsm,
      subject,
      new Uint8Array([0xc3, 0x28, 0xff, 0x00]),
      goodHeaders('bad-bytes'),
    );
    const dl = await deadLetterFor(sagaOf('bad-bytes'));
    expect(dl.headers['Seamline-Dlq-Reason']).toMatch(/not valid UTF-8/);
    expect(dl.headers['Seamline-Dlq-Subject']).toBe(subject);
    expect(dl.headers['Seamline-Dlq-Deliveries']).toBe('1');
    expect([...dl.data]).toEqual([0xc3, 0x28, 0xff, 0x00]);
    expect(dl.subject).toBe(naming.bus.deadLetterSubject(subject));
    await stillServes('after-bytes');
  });

  it('missing headers', async () => {
    const h = goodHeaders('no-deadline');
    delete h['Seamline-Deadline'];
    await publishRaw(
      admin.jsm,
      naming.bus.commandSubject('payment', 'charge'),
      json({ orderId: 'x', amountCents: 1 }),
      h,
    );
    const dl = await deadLetterFor(sagaOf('no-deadline'));
    expect(dl.headers['Seamline-Dlq-Reason']).toMatch(
      /missing or invalid headers: seamline-deadline/,
    );
    expect(callsFor('no-deadline:charge:charge')).toHaveLength(0);
    await stillServes('after-headers');
  });

  it('schema mismatch, which the requester also hears about as a terminal reply', async () => {
    await publishRaw(
      admin.jsm,
      naming.bus.commandSubject('payment', 'charge'),
      json({ orderId: 7 }),
      goodHeaders('bad-schema'),
    );
    const dl = await deadLetterFor(sagaOf('bad-schema'));
    expect(dl.headers['Seamline-Dlq-Reason']).toMatch(
      /payload does not match payment\.charge: orderId/,
    );
    const reply = await waitFor('terminal reply', () =>
      replies.find((r) => r.sagaId === 'bad-schema'),
    );
    expect(reply.reply).toMatchObject({ ok: false, code: 'BAD_COMMAND', retryable: false });
    expect(callsFor('bad-schema:charge:charge')).toHaveLength(0);
    await stillServes('after-schema');
  });

  it('an action nobody handles, and a subject of the wrong shape', async () => {
    await publishRaw(
      admin.jsm,
      naming.bus.commandSubject('payment', 'teleport'),
      json({}),
      goodHeaders('no-handler', 'teleport'),
    );
    expect((await deadLetterFor(sagaOf('no-handler'))).headers['Seamline-Dlq-Reason']).toMatch(
      /no handler for payment\.teleport/,
    );
    const odd = `${naming.bus.serviceFilter('payment').slice(0, -1)}charge.extra`;
    await publishRaw(admin.jsm, odd, json({}), goodHeaders('odd-subject'));
    expect((await deadLetterFor(sagaOf('odd-subject'))).headers['Seamline-Dlq-Reason']).toMatch(
      /not a command subject/,
    );
    await stillServes('after-subjects');
    expect(deadLetters.map((d) => d.subject)).toContain(odd);
  });
});

describe('a handler that always fails', () => {
  it('is dead-lettered after maxDeliver runs with the last error as reason', async () => {
    await client.send(
      'payment',
      'flaky',
      {},
      { sagaId: 'flaky-1', step: 'charge', deadline: Date.now() + 60_000, attempt: 1 },
    );
    const dl = await deadLetterFor(sagaOf('flaky-1'));
    expect(dl.headers['Seamline-Dlq-Reason']).toBe(
      'max deliveries exceeded: INTERNAL: card network down',
    );
    expect(dl.headers['Seamline-Dlq-Deliveries']).toBe('3');
    expect(callsFor('flaky-1:charge:flaky').map((c) => c.deliveryCount)).toEqual([1, 2, 3]);
    await waitFor(
      'payment drained',
      async () => (await payment.server.consumerLag())[0]?.ackPending === 0,
    );
    expect(callsFor('flaky-1:charge:flaky')).toHaveLength(3);
    expect(replies.filter((r) => r.sagaId === 'flaky-1')).toHaveLength(0);
  });
});

describe('ack only after the handler resolved', () => {
  it('redelivers a command whose consumer died mid-handler, and answers it once', async () => {
    const first = await startService([LedgerController], ledgerOptions);
    running.push(first);
    await client.send(
      'ledger',
      'post',
      {},
      { sagaId: 'crash-1', step: 'post', deadline: Date.now() + 60_000, attempt: 1 },
    );
    await waitFor('first delivery in the handler', () => slowCalls === 1);
    await first.server.unwrap<NatsConnection>().close(); // the process "dies" before acking

    const second = await startService([LedgerController], ledgerOptions);
    running.push(second);
    const reply = await waitFor('reply after redelivery', () =>
      replies.find((r) => r.sagaId === 'crash-1'),
    );
    expect(reply.reply).toEqual({ ok: true, result: { posted: true } });
    expect(callsFor('crash-1:post:post').map((c) => c.deliveryCount)).toEqual([1, 2]);
    holdFirstSlowCall.open(); // the dead process's handler finishes: its reply and ack go nowhere
    await waitFor(
      'ledger drained',
      async () => (await second.server.consumerLag())[0]?.ackPending === 0,
    );
    expect(replies.filter((r) => r.sagaId === 'crash-1')).toHaveLength(1);
  });
});
