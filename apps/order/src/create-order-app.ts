/**
 * Composition root of one order replica: quorum store, bus client, election, orchestrator and
 * the HTTP API. Used by main.ts and, in-process, by the integration tests.
 */
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { connect } from '@nats-io/transport-node';
import { BusClient } from '@seamline/bus';
import { ElectionRejoin, LeaderElection } from '@seamline/election';
import type { Logger, SeamlineMetrics } from '@seamline/observability';
import {
  antiEntropyLogObserver,
  busMetricsObserver,
  createLogger,
  createMetrics,
  effectAttemptsObserver,
  electionMetricsObserver,
  quorumMetricsObserver,
  serviceTracer,
  tracedBusClient,
} from '@seamline/observability';
import { StartUpSteps, withinBound } from '@seamline/effect-service/process';
import { QuorumStore, startAntiEntropyLoop } from '@seamline/quorum-store';
import { Backoff, RetryBudgets } from '@seamline/retry-budget';
import type { OrderConfig } from './config.ts';
import type { DashboardConfig } from './dashboard/dashboard-config.ts';
import { readDashboardConfig } from './dashboard/dashboard-config.ts';
import { DashboardController } from './dashboard/dashboard.controller.ts';
import { DashboardFeed } from './dashboard/dashboard-feed.ts';
import { DASHBOARD_FEED } from './dashboard/dashboard.tokens.ts';
import { openApiDocument } from './http/openapi.ts';
import { AdminController } from './http/admin.controller.ts';
import { ClientAttempts } from './http/client-attempts.ts';
import { OpsController } from './http/ops.controller.ts';
import { OrdersController } from './http/orders.controller.ts';
import { ProblemError, retryAfterSeconds, sendProblem } from './http/problem.ts';
import { ProblemFilter } from './http/problem.filter.ts';
import { Orchestrator } from './orchestrator/orchestrator.ts';
import type { OrchestratorOptions } from './orchestrator/orchestrator.ts';
import { ORDER_DOMAIN, OrderRecords } from './orchestrator/order-records.ts';
import { WriteStall } from './orchestrator/write-stall.ts';
import { OrderService } from './order-service.ts';
import { OrderRetention } from './retention/order-retention.ts';
import {
  CLIENT_ATTEMPTS,
  METRICS,
  ORCHESTRATOR,
  ORDER_SERVICE,
  READINESS,
} from './order.tokens.ts';

export interface OrderApp {
  readonly url: string;
  readonly orchestrator: Orchestrator;
  readonly election: LeaderElection;
  readonly metrics: SeamlineMetrics;
  readonly store: QuorumStore;
  readonly log: Logger;
  readonly service: OrderService;
  /** Present only with SEAMLINE_CHAOS_STALL (test switch): arms a self-pause before a write. */
  readonly writeStall: WriteStall | undefined;
  /** Order retention (ADR 0017); its timer runs on the leader, tests may drive `pass()`. */
  readonly retention: OrderRetention;
  close(): Promise<void>;
}

export interface OrderAppOverrides {
  readonly orchestrator?: Partial<OrchestratorOptions>;
  readonly clock?: () => number;
  /** Where /dashboard finds payment and inventory. @default readDashboardConfig({}) (local ports) */
  readonly dashboard?: DashboardConfig;
  /**
   * How often Idempotency-Keys idle past `attemptTtlMs` are forgotten and observed; bounds how
   * late a key's `seamline_effect_attempts{layer="client"}` sample comes. @default 5000
   */
  readonly attemptSweepMs?: number;
}

@Module({})
class OrderHttpModule {}

/** One request admitted past the edge's in-flight bound, until it is answered or abandoned. */
interface Admission {
  readonly start: number;
  done: boolean;
  /** A GET that waits for its order to finish (`waitMs` > 0). */
  longPoll: boolean;
}

/** GET /orders/:id?waitMs=N with N > 0. */
function isLongPoll(req: { method: string; url: string }): boolean {
  return req.method === 'GET' && /^\/orders\/[^/?]+\?(?:.*&)?waitMs=0*[1-9]/.test(req.url);
}

/** How long a closing replica lets requests in progress finish before it cuts them. */
const CLOSE_GRACE_MS = 5_000;

/** `status` of a request whose client went away before the answer (nginx's convention). */
const CLIENT_CLOSED_REQUEST = '499';

/**
 * Builds and starts one order replica. A start that fails part-way (a NATS request timing out
 * while the cluster elects a leader) closes what it had opened, so the caller may try again in
 * the same process.
 */
export async function createOrderApp(
  config: OrderConfig,
  overrides: OrderAppOverrides = {},
): Promise<OrderApp> {
  const opened: (() => Promise<unknown>)[] = [];
  try {
    return await buildOrderApp(config, overrides, opened);
  } catch (err) {
    // Bounded: a close that hangs must not keep a failed start from ending.
    for (const close of opened.reverse())
      await withinBound(close, config.startStepMs).catch(() => undefined);
    throw err;
  }
}

async function buildOrderApp(
  config: OrderConfig,
  overrides: OrderAppOverrides,
  opened: (() => Promise<unknown>)[],
): Promise<OrderApp> {
  const clock = overrides.clock ?? Date.now;
  const metrics = createMetrics();
  const log = createLogger({
    service: 'order',
    level: config.logLevel,
    base: { replica: config.replicaId },
  });
  // Every step of the start is bounded and logged (started, done in N ms, or the step that
  // failed or overran): a start that hangs says where, and ends so the supervisor can retry.
  const bound = config.startStepMs;
  const steps = new StartUpSteps({ log });
  const store = await steps.run('store', bound, () =>
    QuorumStore.open({
      replicas: config.postgres,
      database: config.database,
      replicaTimeoutMs: config.replicaTimeoutMs,
      observer: quorumMetricsObserver(metrics),
      // A deposed leader's last write that reached one replica is spread, not left divergent
      // for ever: every saga write derives from a fenced read of that saga (ADR 0015).
      spreadStaleBatches: [ORDER_DOMAIN],
      ...(config.unsafeNoFencing ? { unsafe: { fencing: false } } : {}),
    }),
  );
  opened.push(() => store.close());
  if (config.unsafeNoFencing) {
    log.warn('UNSAFE: replicas do not check fencing tokens (SEAMLINE_UNSAFE_NO_FENCING=on)');
  }
  const writeStall =
    config.chaosStall === 'off' ? undefined : new WriteStall(config.chaosStall, log);
  const nc = await steps.run('nats', bound, () =>
    connect({ servers: [...config.nats], name: `seamline-${config.replicaId}` }),
  );
  opened.push(() => nc.close());
  const bus = await steps.run('bus', bound, () =>
    BusClient.connect({
      connection: nc,
      requester: 'order',
      naming: {
        streamPrefix: config.busPrefix.toUpperCase().replace(/-/g, '_'),
        subjectPrefix: config.busPrefix,
      },
      replicas: config.busReplicas,
      observer: busMetricsObserver(metrics),
      logger: log,
      // Saga deadlines are instants of this clock; the bus turns them into budgets with the same one.
      clock,
    }),
  );
  const records = new OrderRecords(store);
  const orchestrator = new Orchestrator(
    {
      records,
      // One order is one trace: a span per command sent and per reply handled.
      bus: tracedBusClient(bus, serviceTracer('order')),
      metrics,
      log,
      clock,
      // The store proved a newer leader exists: leave the lease too (the orchestrator already
      // stopped), so this replica never sits on a lease it no longer acts on.
      onFenced: () => rejoinElection('fenced'),
      ...(writeStall === undefined ? {} : { beforeWrite: writeStall.beforeWrite }),
      budgets: new RetryBudgets({ defaults: config.retryBudget }),
      backoff: new Backoff({ baseMs: 100, maxMs: 5_000 }),
    },
    {
      redriveAfterMs: config.redriveAfterMs,
      redriveCeilingMs: config.redriveCeilingMs,
      retryBudget: config.retryBudgetEnabled,
      ...overrides.orchestrator,
    },
  );

  /** Steps down from the lease (freeing the key for a successor at once) and campaigns again. */
  const rejoinElection = (reason: string): void => {
    log.warn({ reason }, 'leaving the lease and campaigning again');
    void rejoin.request();
  };

  let leaderHolder: string | undefined;
  const self = config.advertiseUrl;
  const electionObserver = electionMetricsObserver(metrics);
  const election = new LeaderElection({
    nats: nc,
    bucket: { bucket: config.electionBucket, replicas: config.busReplicas },
    name: config.electionName,
    candidateId: `${config.replicaId}|${self}`,
    leaseMs: config.leaseMs,
    renewEveryMs: config.renewEveryMs,
    ...(config.leaseMarginMs === undefined ? {} : { safetyMarginMs: config.leaseMarginMs }),
    onElected: (token) => {
      log.info({ token }, 'elected leader');
      orchestrator.lead(token, store).catch((err: unknown) => {
        log.error({ token, err: String(err) }, 'could not take over as leader; stepping down');
        // e.g. the fence could not reach N - W + 1 replicas: hand the lease back so that
        // another replica (or this one, later) can try, instead of holding it without leading.
        void orchestrator.abdicate('takeover failed').then(() => rejoinElection('takeover failed'));
      });
    },
    onLost: (reason) => {
      log.warn({ reason }, 'lost leadership');
      void orchestrator.abdicate(`lease lost: ${reason}`);
    },
    onError: (err) => log.debug({ err: String(err) }, 'election I/O'),
    observer: {
      ...electionObserver,
      onLeaderChange: (name, change) => {
        leaderHolder = change.holder;
        electionObserver.onLeaderChange(name, change);
      },
    },
  });

  // One rejoin at a time, retried until this replica is a candidate again (a burst of fenced
  // writes asks for it many times; a start that fails must not leave it out of the election).
  const rejoin = new ElectionRejoin(election, {
    pauseMs: config.renewEveryMs,
    maxPauseMs: 5_000,
    onFailure: (err, attempt, retryInMs) =>
      log.error(
        { err: String(err), attempt, retryInMs },
        'could not rejoin the election; retrying',
      ),
  });

  const service = new OrderService(
    orchestrator,
    records,
    {
      leaderUrl: () => {
        const url = leaderHolder?.split('|')[1];
        return url === undefined || url === self ? undefined : url;
      },
    },
    { defaultDeadlineMs: config.sagaDeadlineMs, maxWaitMs: 30_000 },
    clock,
  );

  const dashboardPeers = (overrides.dashboard ?? readDashboardConfig({})).peers;
  const dashboard = new DashboardFeed(() => {
    const leaderReplica = leaderHolder?.split('|');
    const leader =
      leaderReplica?.[1] === undefined || leaderReplica[1] === self
        ? []
        : [{ name: leaderReplica[0]!, url: leaderReplica[1] }];
    return [
      { name: config.replicaId, url: self, read: () => metrics.render() },
      ...leader,
      ...dashboardPeers(),
    ];
  });
  // The leader's reply consumer is the order service's durable consumer; followers have none.
  const lagTimer = setInterval(() => {
    bus
      .consumerLag()
      .then((lags) => {
        if (lags.length === 0) metrics.consumerLag.reset();
        for (const l of lags)
          metrics.consumerLag.set({ consumer: l.consumer }, l.pending + l.ackPending);
      })
      .catch(() => undefined);
  }, 5_000);
  lagTimer.unref();

  const clientAttempts = new ClientAttempts({
    observer: effectAttemptsObserver(metrics, 'client'),
    counter: { ttlMs: config.attemptTtlMs, clock },
  });
  // Nothing expires a key lazily while no request comes: sweep, so its sample is not held back.
  const attemptTimer = setInterval(() => clientAttempts.sweep(), overrides.attemptSweepMs ?? 5_000);
  attemptTimer.unref();
  opened.push(async () => {
    clearInterval(lagTimer);
    clearInterval(attemptTimer);
  });

  const adapter = new FastifyAdapter({ bodyLimit: 64 * 1024 });
  // Local work only (no I/O that can hang): not a bounded step; listening is.
  const app = await NestFactory.create<NestFastifyApplication>(
    {
      module: OrderHttpModule,
      controllers: [OrdersController, OpsController, AdminController, DashboardController],
      providers: [
        { provide: ORDER_SERVICE, useValue: service },
        { provide: ORCHESTRATOR, useValue: orchestrator },
        { provide: METRICS, useValue: metrics },
        { provide: CLIENT_ATTEMPTS, useValue: clientAttempts },
        { provide: DASHBOARD_FEED, useValue: dashboard },
        {
          provide: READINESS,
          useValue: {
            ready: () => ({
              ready: true,
              leader: orchestrator.leading,
              replica: config.replicaId,
              token: orchestrator.currentToken ?? null,
            }),
          },
        },
      ],
    },
    adapter,
    { logger: ['error', 'warn'] },
  );
  const fastify = app.getHttpAdapter().getInstance();
  // Errors raised before or outside a handler (malformed JSON, body too large, unknown route).
  app.useGlobalFilters(new ProblemFilter());
  // Overload at the edge: shed with 429 instead of queueing without bound.
  // New orders are also refused while the pipeline behind the edge is saturated: the leader
  // already drives maxOpenSagas unfinished sagas, or store operations queue on the write quorum.
  // Reads are not refused for that: they add no saga.
  let inFlight = 0;
  /** Frees the slot of an admitted request and records it, once, however it ended. */
  const finish = (
    req: { routeOptions: { url?: string } },
    admission: Admission,
    status: string,
  ): void => {
    if (admission.done) return;
    admission.done = true;
    inFlight -= 1;
    if (admission.longPoll) polling -= 1;
    metrics.httpInFlight.set(inFlight);
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ route, status });
    metrics.httpRequestDuration.observe({ route }, (performance.now() - admission.start) / 1000);
  };
  const saturated = (req: { method: string; url: string }): string | undefined => {
    if (req.method !== 'POST' || !req.url.startsWith('/orders')) return undefined;
    if (orchestrator.openCount >= config.maxOpenSagas)
      return `${orchestrator.openCount} sagas are still running`;
    const backlog = store.backlog();
    if (backlog >= config.maxStoreBacklog) return `${backlog} store operations are queued`;
    return undefined;
  };
  // Long-polls are counted in flight but not against the bound: they hold only a timer and a
  // waiter, and a crowd of clients waiting for their orders must not lock new orders out.
  let polling = 0;
  fastify.addHook('onRequest', async (req, reply) => {
    const working = inFlight - polling;
    const busy =
      working >= config.maxInFlight && req.url.startsWith('/orders')
        ? `${working} requests are being served`
        : saturated(req);
    if (busy !== undefined) {
      metrics.httpShed.inc();
      await sendProblem(
        reply,
        new ProblemError(
          429,
          'Too many requests',
          `the order API is at capacity (${busy}); retry after the indicated time`,
          [],
          { 'Retry-After': retryAfterSeconds() },
        ),
        req.url,
      );
      return reply;
    }
    inFlight += 1;
    metrics.httpInFlight.set(inFlight);
    const admission: Admission = { start: performance.now(), done: false, longPoll: false };
    if (isLongPoll(req)) {
      admission.longPoll = true;
      polling += 1;
    }
    (req as unknown as { seamlineAdmission: Admission }).seamlineAdmission = admission;
    // Fastify runs onResponse only once the response has been written ('finish'): a client that
    // goes away first (a storm client's timeout, a follower's forward, a long-poll given up)
    // would keep its slot for good, and after SEAMLINE_MAX_IN_FLIGHT of them every order gets
    // 429. The raw response's 'close' comes either way; whichever comes first frees the slot.
    reply.raw.once('close', () =>
      finish(
        req,
        admission,
        reply.raw.writableFinished ? String(reply.raw.statusCode) : CLIENT_CLOSED_REQUEST,
      ),
    );
    return undefined;
  });
  fastify.addHook('onResponse', async (req, reply) => {
    const admission = (req as unknown as { seamlineAdmission?: Admission }).seamlineAdmission;
    if (admission !== undefined) finish(req, admission, String(reply.statusCode));
  });
  SwaggerModule.setup('docs', app, openApiDocument() as never);
  opened.push(() => app.close());
  await steps.run('http listen', bound, () => app.listen(config.http.port, config.http.host));
  opened.push(() => election.stop());
  await steps.run('election', bound, () => election.start());
  steps.done('order replica started');
  log.info({ url: self }, 'order replica listening');
  // The leader compares its database across the replicas now and then: the divergence gauge
  // stays current and a replica that missed writes is repaired without waiting for a takeover.
  const antiEntropy = startAntiEntropyLoop({
    everyMs: config.antiEntropyMs,
    active: () => orchestrator.leading,
    pass: () => store.antiEntropy(),
    ...antiEntropyLogObserver(log),
  });

  // Retention: the leader prunes terminal orders past their retention now and then, off the
  // request path, one bounded page per pass (ADR 0017).
  const retention = new OrderRetention(
    {
      records,
      store,
      token: () => orchestrator.currentToken,
      clock,
      log,
      onPass: (r) => {
        if (r.records > 0) metrics.recordsPruned.inc({ domain: r.domain }, r.records);
        if (r.purge !== undefined) {
          if (r.purge.tombstones > 0)
            metrics.recordsPurged.inc({ domain: r.domain, kind: 'tombstone' }, r.purge.tombstones);
          if (r.purge.batches > 0)
            metrics.recordsPurged.inc({ domain: r.domain, kind: 'batch' }, r.purge.batches);
        }
      },
    },
    {
      retentionMs: config.orderRetentionMs,
      pageSize: config.retentionPage,
      graceMs: config.tombstoneGraceMs,
    },
  );
  const retentionLoop = startAntiEntropyLoop({
    everyMs: config.orderRetentionMs === 0 ? 0 : config.retentionEveryMs,
    active: () => orchestrator.leading,
    pass: () => retention.pass(),
    onError: (err) => log.warn({ err: String(err) }, 'retention pass failed'),
  });

  let closed = false;
  return {
    url: self,
    orchestrator,
    election,
    metrics,
    store,
    log,
    service,
    writeStall,
    retention,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(lagTimer);
      clearInterval(attemptTimer);
      await antiEntropy.stop();
      await retentionLoop.stop();
      await rejoin.close();
      await election.stop().catch(() => {});
      await orchestrator.abdicate('shutdown');
      // Requests still being served get a few seconds to finish; then their connections are cut
      // (their clients retry with the same Idempotency-Key), so a shutdown never waits on a
      // client that keeps a connection open.
      const cut = setTimeout(() => {
        log.warn({ graceMs: CLOSE_GRACE_MS }, 'closing: cutting connections still open');
        fastify.server.closeAllConnections();
      }, CLOSE_GRACE_MS);
      await app.close().finally(() => clearTimeout(cut));
      await bus.close().catch(() => {});
      await nc.close().catch(() => {});
      await store.close();
    },
  };
}
