/**
 * Deadlines across hosts whose clocks disagree (issue 9, hole 8), over real JetStream.
 * Hunts: a receiver whose clock runs ahead refusing work that still has most of its budget; a
 * receiver whose clock runs behind giving its handler more time than the caller had; time spent in
 * the stream (a redelivery, a consumer that was down) not counted against the budget once the
 * receiver's clock is skewed; a message from a sender that predates the budget header no longer
 * honoured.
 *
 * Every receiver here runs on an injected clock skewed by 20 s; the requester and the NATS servers
 * run on the machine's clock.
 */
import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import {
  BusClient,
  RetryableCommandError,
  type BusCommand,
  type BusReplyMessage,
} from '../index.ts';
import {
  adminConnection,
  deleteStreams,
  privateNaming,
  publishRaw,
  replicasFor,
  startService,
  waitFor,
  type RunningService,
} from './bus-harness.ts';

const SKEW_MS = 20_000;
const order = z.object({ orderId: z.string() });
type Order = z.infer<typeof order>;

/** Every handler run: which key, and how much time the handler was given. */
const runs: { key: string; remainingMs: number; deadline: number; now: number }[] = [];
const runsOf = (key: string) => runs.filter((r) => r.key === key);
const warnings: { service: string; message: string; fields: Record<string, unknown> }[] = [];
/** Keys whose first run fails retryably, asking to be redelivered after 2.5 s. */
const failOnce = new Set<string>();

function record(cmd: BusCommand<Order>, clock: () => number) {
  runs.push({
    key: cmd.idempotencyKey,
    remainingMs: cmd.remainingMs(),
    deadline: cmd.deadline,
    now: clock(),
  });
  if (failOnce.delete(cmd.idempotencyKey))
    throw new RetryableCommandError('BUSY', 'try again later', 2_500);
  return { handled: cmd.payload.orderId, remainingMs: cmd.remainingMs() };
}

const aheadClock = () => Date.now() + SKEW_MS;
const behindClock = () => Date.now() - SKEW_MS;

@Controller()
class AheadController {
  @MessagePattern('ahead.charge')
  charge(cmd: BusCommand<Order>) {
    return record(cmd, aheadClock);
  }
}

@Controller()
class BehindController {
  @MessagePattern('behind.charge')
  charge(cmd: BusCommand<Order>) {
    return record(cmd, behindClock);
  }
}

@Controller()
class LateController {
  @MessagePattern('late.charge')
  charge(cmd: BusCommand<Order>) {
    return record(cmd, behindClock);
  }
}

const stack = inject('stack');
const naming = privateNaming();
const common = { servers: stack.nats, naming, replicas: replicasFor(stack.nats) };
const services: RunningService[] = [];
let client: BusClient;
const replies: BusReplyMessage[] = [];
const replyFor = (key: string, timeoutMs?: number) =>
  waitFor(`reply for ${key}`, () => replies.find((r) => r.idempotencyKey === key), timeoutMs);

function start(controller: new () => unknown, service: string, clock: () => number) {
  return startService([controller as never], {
    ...common,
    service,
    schemas: { [`${service}.charge`]: order },
    clock,
    // Redeliver at the handler's retry-after, not later: the test waits on real time.
    backoff: { baseMs: 1, maxMs: 1 },
    drainTimeoutMs: 0,
    logger: {
      warn: (fields: Record<string, unknown>, message: string) =>
        warnings.push({ service, message, fields }),
      error: () => undefined,
    },
  });
}

async function send(service: string, sagaId: string, budgetMs: number) {
  const h = {
    sagaId,
    step: 'charge',
    idempotencyKey: `${sagaId}:charge:charge`,
    deadline: Date.now() + budgetMs,
    attempt: 1,
  };
  await client.send(service, 'charge', { orderId: sagaId }, h);
  return h;
}

beforeAll(async () => {
  services.push(await start(AheadController, 'ahead', aheadClock));
  services.push(await start(BehindController, 'behind', behindClock));
  client = await BusClient.connect({ ...common, requester: 'order' });
  await client.consumeReplies('order', async (m) => {
    replies.push(m);
  });
});

afterAll(async () => {
  await client?.close();
  for (const s of services) await s.app.close();
  const { nc, jsm } = await adminConnection(stack.nats);
  await deleteStreams(jsm, naming.bus);
  await nc.close();
});

describe('hole 8: a receiver whose clock is skewed by 20 s', () => {
  it('runs 20 s ahead and still handles a command with a 5 s budget, within that budget', async () => {
    const sentAt = Date.now();
    const h = await send('ahead', 'skew-ahead', 5_000);
    const reply = await replyFor(h.idempotencyKey);
    expect(reply.reply).toMatchObject({ ok: true, result: { handled: 'skew-ahead' } });
    const [run] = runsOf(h.idempotencyKey);
    expect(run?.remainingMs).toBeGreaterThan(0);
    // Strictly less than what the caller had when it sent, and not much less either.
    expect(run?.remainingMs).toBeLessThan(h.deadline - sentAt);
    expect(run?.remainingMs).toBeGreaterThan(5_000 - (Date.now() - sentAt) - 1_000);
    // The handler's deadline is on its own clock: about 5 s past its own now.
    expect((run?.deadline ?? 0) - (run?.now ?? 0)).toBeLessThan(5_000);
    // The skew changes no decision, but it is measured and reported.
    const warned = warnings.find((w) => w.service === 'ahead' && /sender clock/.test(w.message));
    expect(warned?.fields['skewMs']).toBeLessThan(-SKEW_MS + 1_000);
    expect(warned?.fields['skewMs']).toBeGreaterThan(-SKEW_MS - 1_000);
  });

  it('runs 20 s behind and gives the handler less time than the caller had, not 25 s', async () => {
    const sentAt = Date.now();
    const h = await send('behind', 'skew-behind', 5_000);
    const reply = await replyFor(h.idempotencyKey);
    expect(reply.reply).toMatchObject({ ok: true });
    const [run] = runsOf(h.idempotencyKey);
    expect(run?.remainingMs).toBeGreaterThan(0);
    expect(run?.remainingMs).toBeLessThan(h.deadline - sentAt);
  });

  it('counts the time a redelivered command waited in the stream against its budget', async () => {
    const key = 'skew-redelivered:charge:charge';
    failOnce.add(key);
    const h = await send('behind', 'skew-redelivered', 2_000);
    // The first run fails and asks for redelivery in 2.5 s: by then the 2 s budget is spent,
    // whatever the receiver's clock says, so the second delivery must not start the handler.
    const reply = await replyFor(h.idempotencyKey, 20_000);
    expect(reply.reply).toMatchObject({ ok: false, code: 'DEADLINE_EXCEEDED', retryable: false });
    expect(runsOf(key)).toHaveLength(1);
  });

  it('does not start a command that outlived its budget while no consumer was running', async () => {
    const h = await send('late', 'skew-backlog', 1_500);
    // Real time must pass with the command stored and nobody consuming it.
    await waitFor('the budget to be spent in the stream', () => Date.now() > h.deadline + 500);
    services.push(await start(LateController, 'late', behindClock));
    const reply = await replyFor(h.idempotencyKey);
    expect(reply.reply).toMatchObject({ ok: false, code: 'DEADLINE_EXCEEDED' });
    expect(runsOf(h.idempotencyKey)).toHaveLength(0);
  });
});

describe('hole 8: a message from a sender that predates the budget header', () => {
  it('is still judged by its absolute deadline, in time or expired', async () => {
    const { nc, jsm } = await adminConnection(stack.nats);
    try {
      const legacy = (sagaId: string, deadline: number) => ({
        'Seamline-Saga-Id': sagaId,
        'Seamline-Step': 'charge',
        'Seamline-Idempotency-Key': `${sagaId}:charge:charge`,
        'Seamline-Deadline': String(deadline),
        'Seamline-Attempt': '1',
        'Seamline-Reply-To': 'order',
      });
      const body = new TextEncoder().encode(JSON.stringify({ orderId: 'legacy' }));
      // The 'behind' receiver reads its own clock: give the legacy deadline on that clock.
      await publishRaw(
        jsm,
        naming.bus.commandSubject('behind', 'charge'),
        body,
        legacy('legacy-ok', behindClock() + 10_000),
      );
      await publishRaw(
        jsm,
        naming.bus.commandSubject('behind', 'charge'),
        body,
        legacy('legacy-late', behindClock() - 1_000),
      );
    } finally {
      await nc.close();
    }
    expect((await replyFor('legacy-ok:charge:charge')).reply).toMatchObject({ ok: true });
    expect((await replyFor('legacy-late:charge:charge')).reply).toMatchObject({
      ok: false,
      code: 'DEADLINE_EXCEEDED',
    });
    expect(runsOf('legacy-late:charge:charge')).toHaveLength(0);
  });
});
