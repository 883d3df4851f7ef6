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
  effectArrivalsObserver,
  effectAttemptsObserver,
  electionMetricsObserver,
  idempotencyMetricsObserver,
  quorumMetricsObserver,
  serviceTracer,
  traceMessageHandlers,
} from '@seamline/observability';
import { QuorumStore, startAntiEntropyLoop } from '@seamline/quorum-store';
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
  const store = await QuorumStore.open({
    replicas: config.postgres,
    database: config.database,
    writeQuorum: config.writeQuorum,
    readQuorum: config.readQuorum,
    consistency: config.consistency,
    observer: quorumMetricsObserver(metrics, log),
  });
  const writer = new FencedEffectWriter({
    store,
    domain: spec.domain,
    observer: writerLogObserver(log),
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
  // Order matters: stop consuming and let in-flight handlers finish while the lease is still
  // ours, then step down (a successor takes over at once), then drop the connections.
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      clearInterval(parts.lagTimer);
      clearInterval(parts.attemptTimer);
      await antiEntropy.stop();
      const steps: [string, (() => Promise<unknown>) | undefined][] = [
        ['http and bus', parts.app && (() => parts.app!.close())],
        ['election', parts.election && (() => parts.election!.stop())],
        ['chaos', chaos && (() => chaos.stop())],
        ['nats', parts.nc && (() => parts.nc!.close())],
        ['store', () => store.close()],
      ];
      for (const [name, step] of steps) {
        await step?.().catch((err: unknown) =>
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
  // `payment.charge` -> `charge`: the operation label runEffectCommand is given.
  const operations = Object.keys(spec.commands).map((p) => p.slice(p.indexOf('.') + 1));
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
    const app = await NestFactory.create<NestFastifyApplication>(
      EffectServiceModule.register(runtime, spec.handlers),
      new FastifyAdapter({ bodyLimit: 1_048_576 }),
      { logger: false },
    );
    parts.app = app;
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
    duty.consumeWith(() => app.startAllMicroservices().then(() => undefined));
    await app.listen(config.httpPort, config.httpHost);
    const address = app.getHttpServer().address();
    const port = typeof address === 'object' && address !== null ? address.port : config.httpPort;

    parts.nc = await connect({
      servers: [...config.nats],
      name: `${service}-election-${config.replicaId}`,
    });
    // Before the election: the rules must be in force when the first command is consumed.
    await chaos?.start(parts.nc, { prefix, replicas: config.natsReplicas });
    parts.election = new LeaderElection({
      nats: parts.nc,
      bucket: { bucket: config.electionBucket, replicas: config.natsReplicas },
      name: `${service}-writer`,
      candidateId: config.replicaId,
      observer: electionMetricsObserver(metrics),
      onElected: (token) => duty.elected(token),
      onLost: (reason) => duty.lost(reason),
      onError: (err) => log.debug({ err: (err as Error).message }, 'election i/o error'),
    });
    await parts.election.start();

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

    return {
      app,
      url: `http://${config.httpHost}:${port}`,
      metrics,
      store,
      writer,
      ready: duty.ready,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
