import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ACK_OUTCOMES, METRIC_NAMES, QUORUM_OPS } from './metric-names.ts';

/**
 * Latency buckets from 0.5 ms to 5 s. The 50 ms quorum-write objective sits on
 * a bucket boundary so the p99 alert compares against an exact edge, not an
 * interpolation.
 */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

/** Attempts per logical effect: 1 is the healthy case, the tail shows amplification. */
export const ATTEMPT_BUCKETS: readonly number[] = [1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 50];

/** Saga wall time: a healthy saga takes milliseconds, a compensating one may take minutes. */
export const SAGA_DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600,
];

/** Every Seamline metric of one process, typed by its label names. */
export interface SeamlineMetrics {
  /** The registry these metrics (and the default process metrics) live in; serve it on `/metrics`. */
  readonly registry: Registry;
  /** Prometheus text exposition of {@link SeamlineMetrics.registry}. */
  render(): Promise<string>;
  /** Content type to send with {@link SeamlineMetrics.render}'s output. */
  readonly contentType: string;

  readonly consumerLag: Gauge<'consumer'>;
  readonly deadLetters: Counter<'reason'>;

  readonly quorumOpDuration: Histogram<'op' | 'mode'>;
  readonly quorumAcks: Counter<'op' | 'outcome'>;
  readonly quorumRepairs: Counter<'domain'>;
  readonly quorumRepairsRefused: Counter<'domain'>;
  readonly quorumIndeterminate: Counter<'op'>;
  readonly replicaEjected: Gauge<'replica'>;
  readonly replicaDivergence: Gauge<'domain'>;
  /** Records retention deleted (written as tombstones or retired), per domain. */
  readonly recordsPruned: Counter<'domain'>;
  /** Rows retention removed for good: `kind` tombstone (from every replica) or batch. */
  readonly recordsPurged: Counter<'domain' | 'kind'>;

  readonly leaderChanges: Counter;
  readonly leaderTerm: Gauge;
  readonly isLeader: Gauge;
  readonly fencingRejections: Counter<'domain'>;

  readonly retryBudgetBalance: Gauge<'downstream'>;
  readonly retriesAttempted: Counter<'downstream'>;
  readonly retriesShed: Counter<'downstream'>;
  /** Attempts per logical effect, one sample per key once it has gone idle (or per resolved step). */
  readonly effectAttempts: Histogram<'layer'>;
  readonly effectArrivals: Counter<'service' | 'operation' | 'cause'>;

  readonly dedupHits: Counter<'service' | 'operation'>;
  readonly duplicateEffects: Counter<'service' | 'operation'>;

  readonly sagaOutcomes: Counter<'outcome' | 'reason'>;
  readonly sagaDuration: Histogram;
  readonly sagasStuck: Gauge;
  readonly sagasInFlight: Gauge;

  readonly httpRequests: Counter<'route' | 'status'>;
  readonly httpRequestDuration: Histogram<'route'>;
  readonly httpShed: Counter;
  /** Requests admitted at the edge and not yet finished (what SEAMLINE_MAX_IN_FLIGHT bounds). */
  readonly httpInFlight: Gauge;
}

/** Options of {@link createMetrics}. */
export interface CreateMetricsOptions {
  /**
   * Also collect prom-client's default process metrics (CPU, memory, event-loop
   * lag, GC), without a prefix so stock dashboards recognise them.
   * @default true
   */
  readonly collectDefaults?: boolean;
}

/**
 * Registers every Seamline metric in `registry` (a fresh one by default).
 *
 * Call it once per process and pass the result down: registering twice in the
 * same registry throws, which is how a second, diverging set of metrics is
 * caught at start-up.
 */
export function createMetrics(
  registry: Registry = new Registry(),
  options: CreateMetricsOptions = {},
): SeamlineMetrics {
  const registers = [registry];
  const n = METRIC_NAMES;
  if ((options.collectDefaults ?? true) && !registry.getSingleMetric('process_cpu_seconds_total')) {
    collectDefaultMetrics({ register: registry });
  }

  const quorumAcks = new Counter({
    name: n.quorumAcks,
    help: 'Replica answers to quorum operations, by outcome.',
    labelNames: ['op', 'outcome'] as const,
    registers,
  });
  // Start every op/outcome pair at 0 so rate() sees the first nack or timeout
  // instead of treating the series' birth as its baseline.
  for (const op of QUORUM_OPS) {
    for (const outcome of ACK_OUTCOMES) quorumAcks.inc({ op, outcome }, 0);
  }

  return {
    registry,
    render: () => registry.metrics(),
    contentType: registry.contentType,

    consumerLag: new Gauge({
      name: n.consumerLag,
      help: 'Messages pending plus awaiting ack, per durable consumer.',
      labelNames: ['consumer'] as const,
      registers,
    }),
    deadLetters: new Counter({
      name: n.deadLetters,
      help: 'Bus messages moved to the dead-letter stream, by reason.',
      labelNames: ['reason'] as const,
      registers,
    }),

    quorumOpDuration: new Histogram({
      name: n.quorumOpDuration,
      help: 'Duration of a quorum operation until it has its quorum (or fails).',
      labelNames: ['op', 'mode'] as const,
      buckets: [...LATENCY_BUCKETS_SECONDS],
      registers,
    }),
    quorumAcks,
    quorumRepairs: new Counter({
      name: n.quorumRepairs,
      help: 'Records copied onto stale replicas by read repair, write-back or anti-entropy (whole batches).',
      labelNames: ['domain'] as const,
      registers,
    }),
    quorumRepairsRefused: new Counter({
      name: n.quorumRepairsRefused,
      help: "Repair groups a replica's fence refused: a stale batch on fewer than W replicas, never spread.",
      labelNames: ['domain'] as const,
      registers,
    }),
    recordsPruned: new Counter({
      name: n.recordsPruned,
      help: 'Records retention deleted through the fenced write path (tombstones and retired responses).',
      labelNames: ['domain'] as const,
      registers,
    }),
    recordsPurged: new Counter({
      name: n.recordsPurged,
      help: 'Rows retention removed for good: tombstones held by every replica, unreferenced batch rows.',
      labelNames: ['domain', 'kind'] as const,
      registers,
    }),
    quorumIndeterminate: new Counter({
      name: n.quorumIndeterminate,
      help: 'Quorum operations that ended with fewer than W acks (may have applied).',
      labelNames: ['op'] as const,
      registers,
    }),
    replicaEjected: new Gauge({
      name: n.replicaEjected,
      help: '1 while a replica is ejected from the quorum for failing, else 0.',
      labelNames: ['replica'] as const,
      registers,
    }),
    replicaDivergence: new Gauge({
      name: n.replicaDivergence,
      help: 'Records found divergent across replicas by the last anti-entropy pass.',
      labelNames: ['domain'] as const,
      registers,
    }),

    leaderChanges: new Counter({
      name: n.leaderChanges,
      help: 'Leadership changes (new fencing tokens) observed by this process; every replica sees every change.',
      registers,
    }),
    leaderTerm: new Gauge({
      name: n.leaderTerm,
      help: 'Current fencing token (lease revision) known to this process.',
      registers,
    }),
    isLeader: new Gauge({
      name: n.isLeader,
      help: '1 while this process holds the leader lease, else 0.',
      registers,
    }),
    fencingRejections: new Counter({
      name: n.fencingRejections,
      help: 'Writes rejected because their fencing token was older than the installed fence.',
      labelNames: ['domain'] as const,
      registers,
    }),

    retryBudgetBalance: new Gauge({
      name: n.retryBudgetBalance,
      help: 'Retry tokens currently available, per downstream.',
      labelNames: ['downstream'] as const,
      registers,
    }),
    retriesAttempted: new Counter({
      name: n.retriesAttempted,
      help: 'Retries that the budget allowed, per downstream.',
      labelNames: ['downstream'] as const,
      registers,
    }),
    retriesShed: new Counter({
      name: n.retriesShed,
      help: 'Retries refused because the budget was empty, per downstream.',
      labelNames: ['downstream'] as const,
      registers,
    }),
    // Each layer's owner zeroes its own series at start-up (seam-observers), so a process only
    // exposes the layers it counts.
    effectAttempts: new Histogram({
      name: n.effectAttempts,
      help: 'Physical attempts per logical effect, by the layer that counted them (client requests per Idempotency-Key, orchestrator sends per step, downstream arrivals per effect key).',
      labelNames: ['layer'] as const,
      buckets: [...ATTEMPT_BUCKETS],
      registers,
    }),
    effectArrivals: new Counter({
      name: n.effectArrivals,
      help: 'Effect commands reaching their handler, by cause: first send, orchestrator re-send, or bus redelivery.',
      labelNames: ['service', 'operation', 'cause'] as const,
      registers,
    }),

    dedupHits: new Counter({
      name: n.dedupHits,
      help: 'Duplicate deliveries answered from the stored result (no second effect).',
      labelNames: ['service', 'operation'] as const,
      registers,
    }),
    duplicateEffects: new Counter({
      name: n.duplicateEffects,
      help: 'Effects applied twice for one idempotency key. Must stay 0.',
      labelNames: ['service', 'operation'] as const,
      registers,
    }),

    sagaOutcomes: new Counter({
      name: n.sagaOutcomes,
      help: 'Sagas that reached a terminal state, by outcome and reason.',
      labelNames: ['outcome', 'reason'] as const,
      registers,
    }),
    sagaDuration: new Histogram({
      name: n.sagaDuration,
      help: 'Time from saga start to its terminal state.',
      buckets: [...SAGA_DURATION_BUCKETS_SECONDS],
      registers,
    }),
    sagasStuck: new Gauge({
      name: n.sagasStuck,
      help: 'Sagas whose compensation keeps failing (need attention).',
      registers,
    }),
    sagasInFlight: new Gauge({
      name: n.sagasInFlight,
      help: 'Sagas not yet in a terminal state.',
      registers,
    }),

    httpRequests: new Counter({
      name: n.httpRequests,
      help: 'HTTP requests answered, by route template and status code.',
      labelNames: ['route', 'status'] as const,
      registers,
    }),
    httpRequestDuration: new Histogram({
      name: n.httpRequestDuration,
      help: 'HTTP request duration, by route template.',
      labelNames: ['route'] as const,
      buckets: [...LATENCY_BUCKETS_SECONDS],
      registers,
    }),
    httpShed: new Counter({
      name: n.httpShed,
      help: 'HTTP requests refused with 429 to shed load.',
      registers,
    }),
    httpInFlight: new Gauge({
      name: n.httpInFlight,
      help: 'HTTP requests admitted and not yet finished, answered or abandoned by the client.',
      registers,
    }),
  };
}
