/**
 * Issue 9, hole 9: a restarted payment process that never came back. After a NATS node was
 * killed, payment lost its writer lease and exited; each fresh process logged "chaos enabled"
 * and nothing more, answering 503 on readiness for minutes. Against the real stack (3 Postgres,
 * the NATS cluster), with the bucket the election campaigns in wrapped to play what a killed
 * and restarted nats-server 2.9.10 left behind (ADR 0005). Hunts:
 * - a fresh process that never takes the lease its dead predecessor left, because its watch is
 *   served by a replica holding a revision the stream leader does not (every compare-and-set
 *   refused, the leader's answer ignored as older);
 * - a start-up step that waits for ever on a stream that does not answer, instead of failing
 *   within its bound and naming the step;
 * - a process that can neither take the lease nor see a live holder renew it and stays up
 *   answering 503 in silence, instead of failing its start naming where the lease stands.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { connect } from '@nats-io/transport-node';
import type { EffectServiceConfig } from '@seamline/effect-service';
import type { TestNamespace } from '@seamline/effect-service/testing';
import {
  dropNamespace,
  LogCapture,
  privateNamespace,
  testConfig,
} from '@seamline/effect-service/testing';
import type { LeaseKv, LeaseKvEntry, LeaseKvWatch } from '@seamline/election';
import { encodeLeaseRecord, openElectionBucket } from '@seamline/election';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { PaymentApp, PaymentAppOptions } from './src/payment-app.ts';
import { createPaymentApp } from './src/payment-app.ts';

const stack = inject('stack');
const KEY = 'payment-writer';
let admin: NatsConnection;
const started: PaymentApp[] = [];
const namespaces: TestNamespace[] = [];

beforeAll(async () => {
  admin = await connect({ servers: [...stack.nats] });
});

afterEach(async () => {
  for (const app of started.splice(0)) await app.close();
  for (const ns of namespaces.splice(0)) await dropNamespace(stack, ns);
});

afterAll(async () => {
  await admin.close();
});

/**
 * A namespace whose election key is held by a killed predecessor: the entry it last renewed,
 * which nobody will renew again. Returns the namespace and the entry's revision.
 */
async function abandonedLease(): Promise<{ ns: TestNamespace; revision: number }> {
  const ns = privateNamespace('payrestart');
  namespaces.push(ns);
  const kv = await openElectionBucket(admin, {
    bucket: ns.electionBucket,
    replicas: testConfig('payment', stack, ns).natsReplicas,
  });
  const revision = await kv.create(
    KEY,
    encodeLeaseRecord({ holder: 'payment-killed', term: 3, leaseMs: 3_000 }),
  );
  return { ns, revision };
}

async function start(
  ns: TestNamespace,
  config: Partial<EffectServiceConfig>,
  options: PaymentAppOptions,
): Promise<PaymentApp> {
  const app = await createPaymentApp(testConfig('payment', stack, ns, config), options);
  started.push(app);
  return app;
}

/** The bucket as a client whose watch consumer sits on a replica that diverged: see file header. */
function divergedWatch(kv: LeaseKv, phantomAhead: number): LeaseKv {
  return {
    get: (k) => kv.get(k),
    create: (k, d) => kv.create(k, d),
    update: (k, d, v) => kv.update(k, d, v),
    delete: (k, o) => kv.delete(k, o),
    watch: async (o) => {
      const inner = await kv.watch(o);
      let replayed = false;
      const view: LeaseKvWatch = {
        stop: () => inner.stop(),
        async *[Symbol.asyncIterator](): AsyncIterator<LeaseKvEntry> {
          for await (const entry of inner) {
            if (replayed) yield entry;
            else {
              replayed = true;
              yield {
                revision: entry.revision + phantomAhead,
                operation: entry.operation,
                value: entry.value,
              };
            }
          }
        },
      };
      return view;
    },
  };
}

const never = <T>(): Promise<T> => new Promise<T>(() => {});

/** `kv` with some of its calls replaced. */
function withCalls(kv: LeaseKv, replaced: Partial<Record<keyof LeaseKv, () => Promise<never>>>) {
  const through: LeaseKv = {
    get: (k) => kv.get(k),
    create: (k, d) => kv.create(k, d),
    update: (k, d, v) => kv.update(k, d, v),
    delete: (k, o) => kv.delete(k, o),
    watch: (o) => kv.watch(o),
  };
  return { ...through, ...replaced };
}

describe('hole 9: a restarted payment process comes back', () => {
  it('takes the lease its killed predecessor left although its watch reports a revision the stream leader does not hold', async () => {
    const { ns, revision } = await abandonedLease();
    const logs = new LogCapture();
    const app = await start(
      ns,
      { logLevel: 'info' },
      {
        logDestination: logs,
        electionKv: async (nc, bucket) => divergedWatch(await openElectionBucket(nc, bucket), 7),
      },
    );
    // start() resolves once the process is the writer and consumes commands.
    expect((await fetch(`${app.url}/health/ready`)).status).toBe(200);
    expect(app.writer.token).toBeGreaterThan(revision);
    expect(logs.lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        code: 'ELECTION_VIEW_DIVERGED',
        msg: 'election i/o error; the campaign goes on',
      }),
    );
    const done = logs.lines.filter((l) => l['event'] === 'start-up-step' && l['phase'] === 'done');
    expect(done.map((l) => l['step'])).toEqual([
      'store',
      'http',
      'http listen',
      'nats',
      'election',
      'bus consumer',
      'writer',
    ]);
    for (const line of done) expect(line['durationMs']).toEqual(expect.any(Number));
  });

  it('fails a start whose election bucket never answers within the step bound, naming the step', async () => {
    const { ns } = await abandonedLease();
    const logs = new LogCapture();
    const began = performance.now();
    const starting = start(
      ns,
      { startStepMs: 6_000 },
      {
        logDestination: logs,
        // Consumer creation on a stream that has lost its leader, as a client may see it.
        electionKv: async (nc, bucket) =>
          withCalls(await openElectionBucket(nc, bucket), { get: never, watch: never }),
      },
    );
    await expect(starting).rejects.toMatchObject({
      code: 'START_UP_STEP_TIMEOUT',
      step: 'election',
      boundMs: 6_000,
    });
    expect(performance.now() - began).toBeLessThan(40_000);
    expect(logs.lines).toContainEqual(
      expect.objectContaining({
        event: 'start-up-step',
        step: 'election',
        phase: 'timed-out',
        msg: 'start-up step "election" did not finish within 6000 ms',
      }),
    );
  });

  it('fails a start that can neither take the lease nor see a live holder, saying where the lease stands', async () => {
    const { ns, revision } = await abandonedLease();
    const logs = new LogCapture();
    // Reads served by a replica, every write refused for want of a stream leader.
    const starting = start(
      ns,
      { startStepMs: 6_000 },
      {
        logDestination: logs,
        electionKv: async (nc, bucket) => {
          const refuse = () => Promise.reject(new Error('timeout'));
          return withCalls(await openElectionBucket(nc, bucket), {
            create: refuse,
            update: refuse,
          });
        },
      },
    );
    const err = (await starting.then(
      () => undefined,
      (e: unknown) => e,
    )) as { code?: string; step?: string; message?: string };
    expect(err).toMatchObject({ code: 'START_UP_STEP_TIMEOUT', step: 'writer', boundMs: 12_000 });
    expect(err.message).toContain(`${KEY} held by payment-killed at revision ${revision}`);
    expect(logs.lines).toContainEqual(
      expect.objectContaining({ level: 'warn', msg: 'election i/o error; the campaign goes on' }),
    );
  });
});
