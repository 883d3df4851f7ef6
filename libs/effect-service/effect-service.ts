/**
 * Builds and starts one fenced single-writer effect service (payment, inventory): a quorum
 * store, the domain's fenced effect writer and its terms, the writer election, the JetStream
 * command consumer, the HTTP side (ops, seed, problem details), the consumer-lag poll, and an
 * ordered close. The service brings only what is its own: see {@link EffectServiceSpec}.
 */
import 'reflect-metadata';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { JetStreamServer } from '@seamline/bus';
import { ChaosWatcher } from '@seamline/chaos-control';
import { LeaderElection } from '@seamline/election';
import { FencedEffectWriter, IdempotentEffects } from '@seamline/idempotency';
import type { Logger } from '@seamline/observability';
import {
  antiEntropyLogObserver,
  busMetricsObserver,
  createLogger,
  createMetrics,
  duplicateEffectsObserver,
  effectArrivalsObserver,
  effectAttemptsObserver,
  electionMetricsObserver,
  idempotencyMetricsObserver,
  quorumMetricsObserver,
  serviceTracer,
  traceMessageHandlers,
} from '@seamline/observability';
import { QuorumStore, startAntiEntropyLoop } from '@seamline/quorum-store';
import { DuplicateEffectDetector } from './duplicate-effect-detector.ts';
import { EffectArrivals } from './effect-arrivals.ts';
import type { EffectServiceRuntime } from './effect-runtime.ts';
import type {
  EffectService,
  EffectServiceOptions,
  EffectServiceSpec,
} from './effect-service-spec.ts';
import { EffectServiceModule } from './effect-service.module.ts';
import { parseBody, ProblemDetailsFilter } from './problem-details.ts';
import { seedMissing } from './seed-records.ts';
import type { EffectServiceConfig } from './service-config.ts';
import { StartUpSteps, withinBound } from './start-up-steps.ts';
import { WriterDuty, writerLogObserver } from './writer-duty.ts';

/** Builds and starts one effect service process. */
export async function startEffectService<E, S>(
  config: EffectServiceConfig,
  spec: EffectServiceSpec<E, S>,
  options: EffectServiceOptions = {},
): Promise<EffectService> {
  const { service } = spec;
  const metrics = options.metrics ?? createMetrics();
  const log: Logger = createLogger({
    service,
    level: config.logLevel,
    base: { replica: config.replicaId },
    ...(options.logDestination === undefined ? {} : { destination: options.logDestination }),
  });
  // Every step of the start is bounded and logged (started, done in N ms, or the step that
  // failed or overran): a start that hangs says where, and ends so the supervisor can retry.
  const bound = config.startStepMs;
  const steps = new StartUpSteps({ log });
  const store = await steps.run('store', bound, () =>
    QuorumStore.open({
      replicas: config.postgres,
      database: config.database,
      writeQuorum: config.writeQuorum,
      readQuorum: config.readQuorum,
      consistency: config.consistency,
      observer: quorumMetricsObserver(metrics, log),
    }),
  );
  // `payment.charge` -> `charge`: the operation label runEffectCommand is given.
  const operations = Object.keys(spec.commands).map((p) => p.slice(p.indexOf('.') + 1));
  const duplicateMetric = duplicateEffectsObserver(metrics, service, operations);
  const duplicates = new DuplicateEffectDetector({
    service: spec.ledger,
    domain: spec.domain,
    store,
    onDuplicate: (d) => {
      duplicateMetric.onDuplicate(d.kind);
      log.error(
        {
          event: 'duplicate-effect',
          orderId: d.orderId,
          kind: d.kind,
          keys: d.entries.map((e) => e.key),
        },
        `${d.kind} of order ${d.orderId} took effect ${d.entries.length} times`,
      );
    },
  });
  const writer = new FencedEffectWriter({
    store,
    domain: spec.domain,
    observer: {
      ...writerLogObserver(log),
      // The detector's watermark: what this writer's batches put in the store since its last pass.
      onWritten: (_domain, rows) => duplicates.written(rows),
    },
  });
  const effects = spec.effects(
    new IdempotentEffects({ writer, observer: idempotencyMetricsObserver(metrics, service) }),
    log,
  );
  // Chaos (SEAMLINE_CHAOS=on only): fault rules from the chaos bucket become the bus's hooks.
  const chaos = config.chaos
    ? new ChaosWatcher({
        service,
        replica: config.replicaId,
        ...(config.chaosSeed === undefined ? {} : { seed: config.chaosSeed }),
        log,
      })
    : undefined;
  const parts: {
    app?: NestFastifyApplication;
    election?: LeaderElection;
    nc?: NatsConnection;
    lagTimer?: NodeJS.Timeout;
    attemptTimer?: NodeJS.Timeout;
  } = {};
  let closing: Promise<void> | undefined;
  // What a step opens after its bound ran out (the start already failed and closed) is closed
  // at once instead of leaking.
  const keep = <T extends { close(): Promise<unknown> }>(opened: T, into: (o: T) => void): T => {
    if (closing === undefined) into(opened);
    else void opened.close().catch(() => undefined);
    return opened;
  };
  // Order matters: stop consuming and let in-flight handlers finish while the lease is still
  // ours, then step down (a successor takes over at once), then drop the connections.
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      clearInterval(parts.lagTimer);
      clearInterval(parts.attemptTimer);
      await antiEntropy.stop();
      await duplicateCheck.stop();
      const closeSteps: [string, (() => Promise<unknown>) | undefined][] = [
        ['http and bus', parts.app && (() => parts.app!.close())],
        ['election', parts.election && (() => parts.election!.stop())],
        ['chaos', chaos && (() => chaos.stop())],
        ['nats', parts.nc && (() => parts.nc!.close())],
        ['store', () => store.close()],
      ];
      // Bounded too: a close that hangs (a drain on a dead link) must not keep a failed start
      // from ending, nor a stopping process from exiting.
      for (const [name, step] of closeSteps) {
        if (step === undefined) continue;
        await withinBound(step, bound).catch((err: unknown) =>
          log.warn({ step: name, err: (err as Error).message }, 'close step failed'),
        );
      }
    })());

  const duty = new WriterDuty({
    service,
    writer,
    store,
    log,
    closing: () => closing !== undefined,
    ...(options.onFatal === undefined ? {} : { onFatal: options.onFatal }),
  });
  // The active writer compares its database across the replicas now and then (divergence
  // gauge, repair of a replica that missed writes) without waiting for its next term.
  const antiEntropy = startAntiEntropyLoop({
    everyMs: config.antiEntropyMs,
    active: () => duty.isReady() && closing === undefined,
    pass: () => store.antiEntropy(),
    ...antiEntropyLogObserver(log),
  });
  // Like anti-entropy, only the writer checks what it wrote for effects applied twice, off the
  // command path, a bounded page of orders per pass.
  const duplicateCheck = startAntiEntropyLoop({
    everyMs: config.duplicateCheckMs,
    active: () => duty.isReady() && closing === undefined,
    pass: () => duplicates.pass(),
    onPass: (p) => {
      if (p.failed > 0 || p.dropped > 0)
        log.warn(
          { failed: p.failed, dropped: p.dropped, waiting: p.waiting },
          'duplicate-effect check incomplete: orders left for the next pass or dropped',
        );
    },
    onError: (err) =>
      log.warn({ err: (err as Error).message }, 'duplicate-effect check pass failed'),
  });
  const arrivals = new EffectArrivals({
    observer: {
      ...effectArrivalsObserver(metrics, service, operations),
      ...effectAttemptsObserver(metrics, 'downstream'),
    },
    counter: { ttlMs: config.attemptTtlMs },
  });
  const runtime: EffectServiceRuntime<E> = {
    service,
    effects,
    writer,
    metrics,
    log,
    arrivals,
    isReady: () => duty.isReady(),
    onWriteError: (err) => duty.onWriteError(err),
    seed: async (body) => {
      const seed = parseBody(spec.seed.body, body);
      const report = await seedMissing(writer, spec.seed.records(seed));
      // The parsed body is a plain object (a zod object schema); its fields go on the line.
      log.info({ ...(seed as object), ...report }, spec.seed.logMessage);
      return report;
    },
  };

  try {
    const app = await steps.run('http', bound, async () => {
      const created = await NestFactory.create<NestFastifyApplication>(
        EffectServiceModule.register(runtime, spec.handlers),
        new FastifyAdapter({ bodyLimit: 1_048_576 }),
        { logger: false },
      );
      return keep(created, (app) => (parts.app = app));
    });
    app.useGlobalFilters(new ProblemDetailsFilter());
    const prefix = config.busPrefix;
    const server = new JetStreamServer({
      servers: [...config.nats],
      service,
      schemas: spec.commands,
      replicas: config.natsReplicas,
      duplicateDelivery: config.duplicateDelivery,
      naming: { streamPrefix: prefix.toUpperCase(), subjectPrefix: prefix.toLowerCase() },
      logger: log,
      observer: busMetricsObserver(metrics),
      // A late delivery reaches the handler, which answers from the key's stored result.
      expired: 'handler',
      ...(chaos === undefined ? {} : { faults: chaos.faults }),
      ...options.bus,
    });
    app.connectMicroservice({ strategy: server }, { inheritAppConfig: false });
    // A span per command handled: its queries, and the trace it continues, hang off it.
    traceMessageHandlers(server, serviceTracer(service));
    // Runs once this process holds the lease and its term began: ensures the streams and the
    // durable consumer (their leaders may have been on a node just killed) and starts pulling.
    duty.consumeWith(() =>
      steps.run('bus consumer', bound, () => app.startAllMicroservices().then(() => undefined)),
    );
    await steps.run('http listen', bound, () => app.listen(config.httpPort, config.httpHost));
    const address = app.getHttpServer().address();
    const port = typeof address === 'object' && address !== null ? address.port : config.httpPort;

    const nc = await steps.run('nats', bound, async () => {
      const opened = await connect({
        servers: [...config.nats],
        name: `${service}-election-${config.replicaId}`,
      });
      return keep(opened, (c) => (parts.nc = c));
    });
    // Before the election: the rules must be in force when the first command is consumed.
    if (chaos !== undefined) {
      await steps.run('chaos rules', bound, () =>
        chaos.start(nc, { prefix, replicas: config.natsReplicas }),
      );
    }
    const election = new LeaderElection({
      nats: nc,
      bucket: { bucket: config.electionBucket, replicas: config.natsReplicas },
      name: `${service}-writer`,
      candidateId: config.replicaId,
      observer: electionMetricsObserver(metrics),
      onElected: (token) => duty.elected(token),
      onLost: (reason) => duty.lost(reason),
      onError: electionErrorLog(log),
      ...(options.electionKv === undefined
        ? {}
        : {
            kv: await options.electionKv(nc, {
              bucket: config.electionBucket,
              replicas: config.natsReplicas,
            }),
          }),
    });
    parts.election = election;
    await steps.run('election', bound, () => election.start());
    // The lease, the term (fence, repair) and the consumer: a process that can neither take
    // the lease nor see a live holder renew it fails here instead of answering 503 for ever.
    const standing = await steps.run(
      'writer',
      2 * bound,
      async () => {
        const s = await election.settled();
        if (s === 'leader') await duty.ready;
        return s;
      },
      () => election.describe(),
    );

    parts.lagTimer = setInterval(() => {
      server
        .consumerLag()
        .then((lags) => {
          for (const l of lags)
            metrics.consumerLag.set({ consumer: l.consumer }, l.pending + l.ackPending);
        })
        .catch(() => undefined);
    }, options.lagPollMs ?? 5000);
    parts.lagTimer.unref();
    // An idle service records nothing, so its keys would never expire lazily: sweep them.
    parts.attemptTimer = setInterval(() => arrivals.sweep(), options.attemptSweepMs ?? 5000);
    parts.attemptTimer.unref();
    steps.done(
      standing === 'leader'
        ? `${service} started: the writer, consuming commands`
        : `${service} started: standby (${election.describe()})`,
    );

    return {
      app,
      url: `http://${config.httpHost}:${port}`,
      metrics,
      store,
      writer,
      duplicates,
      ready: duty.ready,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * Election I/O failures the campaign absorbs and retries (a timeout while the bucket's stream
 * elects a leader, a view a diverged replica gave): at most one warn line per 5 s, with how
 * many were absorbed since the last. A candidate that keeps failing is visible at info level.
 */
function electionErrorLog(log: Logger): (err: unknown) => void {
  let lastAt = Number.NEGATIVE_INFINITY;
  let absorbed = 0;
  return (err) => {
    absorbed += 1;
    const now = performance.now();
    if (now - lastAt < 5_000) return;
    const e = err as { message?: unknown; code?: unknown };
    log.warn(
      { err: String(e?.message ?? err), code: e?.code, absorbed },
      'election i/o error; the campaign goes on',
    );
    lastAt = now;
    absorbed = 0;
  };
}
