/**
 * Hunts a leak of the edge's in-flight counter on client aborts (issue 9, hole 6). The counter
 * bounds admitted requests (SEAMLINE_MAX_IN_FLIGHT) and is decremented once per request; a bare
 * Fastify server skips `onResponse` when the client goes away before the response, and a counter
 * that misses one decrement per abort answers 429 to every order once aborts add up to the bound.
 * Storm clients and follower forwards abort routinely, so each stage where a request can wait is
 * aborted many times here:
 *
 *   queued before its handler  the body is still arriving when the client goes away
 *   queued on the store        the leader's POST waits for a quorum (two replicas paused)
 *   forwarded to the leader    a follower's POST waits for the leader's answer
 *   long-poll                  GET /orders/:id?waitMs=... holds the request on leader and follower
 *
 * After each stage the counter (seamline_http_in_flight_requests) must be back to 0 on every
 * replica, and with SEAMLINE_MAX_IN_FLIGHT below the number of aborts an order is still accepted.
 */
import { connect as tcpConnect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { stackOptionsFromEnv } from '../../../infra/stack/env-options.ts';
import { signalProcess, waitFor } from '../../../infra/stack/index.ts';
import type { OrderApp } from '../src/create-order-app.ts';
import { leaderOf, orderReplicasPerFile, postOrder } from './order-harness.ts';

const stack = stackOptionsFromEnv();
/** Aborted requests per stage and server; the stages add up to well over MAX_IN_FLIGHT. */
const ABORTS = 30;
const replicas = orderReplicasPerFile(
  2,
  {
    // Fewer slots than the aborts of all stages: a leak of one slot per abort ends in 429s.
    SEAMLINE_MAX_IN_FLIGHT: '100',
    // Not an election test: a lease that a loaded machine lets expire would move the leader
    // between the stages, and a takeover cannot fence while the store is paused.
    SEAMLINE_LEASE_MS: '10000',
    SEAMLINE_RENEW_MS: '1000',
    SEAMLINE_REPLICA_TIMEOUT_MS: '4000',
    // The queued stage holds more store operations than the default backlog admits.
    SEAMLINE_MAX_STORE_BACKLOG: '1000',
  },
  3970 + Number(process.env.SEAMLINE_STACK_OFFSET ?? 0),
);

const order = (n: number) => ({
  customerId: `cust-${n}`,
  items: [{ sku: 'sku-1', qty: 1, unitPriceCents: 100 }],
  currency: 'USD',
});

/** The counter as the gauge shows it, read in-process (a scrape would count itself). */
async function inFlight(app: OrderApp): Promise<number> {
  return (await app.metrics.httpInFlight.get()).values[0]?.value ?? 0;
}

async function counts(apps: readonly OrderApp[]): Promise<number[]> {
  return Promise.all(apps.map(inFlight));
}

/**
 * Waits until every replica's counter is back where it was before the stage (0 unless an
 * earlier stage leaked: each stage then still shows its own verdict).
 */
async function settlesBack(
  apps: readonly OrderApp[],
  before: readonly number[],
  stage: string,
): Promise<void> {
  await waitFor(async () => (await counts(apps)).every((n, i) => n === before[i]), {
    what: 'the in-flight counters back',
    timeoutMs: 20_000,
    intervalMs: 50,
  }).catch(() => undefined);
  expect(await counts(apps), `in-flight per replica after aborts ${stage}`).toEqual(before);
}

/**
 * Sends `count` requests, waits until every server in `holders` counts them all in flight, then
 * aborts them (undici destroys the connection of an aborted request that is in flight).
 */
async function abortedWhileHeld(
  holders: readonly OrderApp[],
  count: number,
  send: (i: number, signal: AbortSignal) => Promise<unknown>,
): Promise<void> {
  const bases = await counts(holders);
  const controllers = Array.from({ length: count }, () => new AbortController());
  const requests = controllers.map((c, i) => send(i, c.signal).catch(() => 'aborted'));
  await waitFor(async () => (await counts(holders)).every((n, i) => n >= bases[i]! + count), {
    what: `${count} requests held by ${holders.map((h) => h.url).join(' and ')}`,
    timeoutMs: 15_000,
    intervalMs: 10,
  });
  for (const c of controllers) c.abort();
  const outcomes = await Promise.all(requests);
  expect(outcomes.filter((o) => o === 'aborted')).toHaveLength(count);
}

const post = (base: string, key: string, body: unknown, signal: AbortSignal) =>
  fetch(`${base}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify(body),
    signal,
  });

async function pausedStore<T>(run: () => Promise<T>): Promise<T> {
  await signalProcess('pg-2', 'pause', stack);
  await signalProcess('pg-3', 'pause', stack);
  try {
    return await run();
  } finally {
    await signalProcess('pg-2', 'resume', stack);
    await signalProcess('pg-3', 'resume', stack);
  }
}

describe('hole 6: the in-flight counter on client aborts', () => {
  it('returns to 0 after requests aborted while their body is still arriving', async () => {
    const apps = replicas.apps();
    const leader = leaderOf(apps);
    const before = await counts(apps);
    const { port } = new URL(leader.url);
    const sockets = Array.from({ length: ABORTS }, (_, i) => {
      const s = tcpConnect(Number(port), '127.0.0.1');
      s.on('error', () => {});
      s.write(
        `POST /orders HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n` +
          `idempotency-key: body-${i}\r\ncontent-length: 1000\r\n\r\n{"customerId":`,
      );
      return s;
    });
    await waitFor(async () => (await inFlight(leader)) >= ABORTS, {
      what: 'every half-sent request admitted',
      timeoutMs: 15_000,
      intervalMs: 10,
    });
    for (const s of sockets) s.destroy();
    await settlesBack(apps, before, 'while the body was arriving');
  });

  it('returns to 0 after POSTs aborted while queued on the store', async () => {
    const apps = replicas.apps();
    const leader = leaderOf(apps);
    const before = await counts(apps);
    await pausedStore(() =>
      abortedWhileHeld([leader], ABORTS, (i, signal) =>
        post(leader.url, `queued-${i}`, order(i), signal),
      ),
    );
    await settlesBack(apps, before, 'while queued on the store');
  });

  it('returns to 0 on follower and leader after POSTs aborted while forwarded to the leader', async () => {
    const apps = replicas.apps();
    const leader = leaderOf(apps);
    const before = await counts(apps);
    const follower = apps.find((a) => a !== leader)!;
    // The clients go only once every forward has reached the leader and waits there on the
    // store (the follower's forward outlives its client; the leader answers it when the store is
    // back, and the follower's slot must be freed before that, by the client's going).
    await pausedStore(() =>
      abortedWhileHeld([follower, leader], ABORTS, (i, signal) =>
        post(follower.url, `forwarded-${i}`, order(i), signal),
      ),
    );
    await settlesBack(apps, before, 'while forwarded to the leader');
  });

  it('returns to 0 after long-polls aborted on the leader and on a follower', async () => {
    const apps = replicas.apps();
    const leader = leaderOf(apps);
    const before = await counts(apps);
    // No payment or inventory runs here: the order stays PENDING and every long-poll waits.
    const placed = await postOrder(leader.url, 'long-poll', order(0));
    expect(placed.status).toBe(202);
    const id = String(placed.json?.orderId);
    for (const app of apps) {
      await abortedWhileHeld([app], ABORTS, (_, signal) =>
        fetch(`${app.url}/orders/${id}?waitMs=3000`, { signal }),
      );
    }
    await settlesBack(apps, before, 'during a long-poll');
  });

  it('is 0 after every stage, and orders are still admitted though the aborts outnumber SEAMLINE_MAX_IN_FLIGHT', async () => {
    const apps = replicas.apps();
    const leader = leaderOf(apps);
    expect(await counts(apps)).toEqual([0, 0]);
    const follower = apps.find((a) => a !== leader)!;
    for (const app of [leader, follower]) {
      const res = await postOrder(app.url, `after-aborts-${app.url}`, order(1));
      expect(res.status).toBe(202);
    }
  });
});
