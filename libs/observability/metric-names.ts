/**
 * The fixed names of every Seamline metric.
 *
 * Dashboards, alert rules and tests check themselves against this table, so a
 * rename here is a breaking change for `grafana/` and `infra/prometheus/`.
 * Histograms are named by their base name; Prometheus adds `_bucket`, `_sum`
 * and `_count` series on export.
 */
export const METRIC_NAMES = {
  // Bus
  consumerLag: 'seamline_consumer_lag_messages',
  deadLetters: 'seamline_dead_letters_total',
  // Quorum store
  quorumOpDuration: 'seamline_quorum_op_duration_seconds',
  quorumAcks: 'seamline_quorum_acks_total',
  quorumRepairs: 'seamline_quorum_repairs_total',
  quorumRepairsRefused: 'seamline_quorum_repairs_refused_total',
  quorumIndeterminate: 'seamline_quorum_indeterminate_total',
  replicaEjected: 'seamline_replica_ejected',
  replicaDivergence: 'seamline_replica_divergence_records',
  recordsPruned: 'seamline_records_pruned_total',
  recordsPurged: 'seamline_records_purged_total',
  // Leader election and fencing
  leaderChanges: 'seamline_leader_changes_total',
  leaderTerm: 'seamline_leader_term',
  isLeader: 'seamline_is_leader',
  fencingRejections: 'seamline_fencing_rejections_total',
  // Retry budget
  retryBudgetBalance: 'seamline_retry_budget_balance',
  retriesAttempted: 'seamline_retries_attempted_total',
  retriesShed: 'seamline_retries_shed_total',
  effectAttempts: 'seamline_effect_attempts',
  effectArrivals: 'seamline_effect_arrivals_total',
  // Idempotency
  dedupHits: 'seamline_dedup_hits_total',
  duplicateEffects: 'seamline_duplicate_effects_total',
  // Sagas
  sagaOutcomes: 'seamline_saga_outcomes_total',
  sagaDuration: 'seamline_saga_duration_seconds',
  sagasStuck: 'seamline_sagas_stuck',
  sagasInFlight: 'seamline_sagas_in_flight',
  // HTTP edge
  httpRequests: 'seamline_http_requests_total',
  httpRequestDuration: 'seamline_http_request_duration_seconds',
  httpShed: 'seamline_http_shed_total',
  httpInFlight: 'seamline_http_in_flight_requests',
} as const;

/** A key of {@link METRIC_NAMES}: the property name under which `createMetrics` exposes it. */
export type MetricKey = keyof typeof METRIC_NAMES;

/** Any Seamline metric name. */
export type MetricName = (typeof METRIC_NAMES)[MetricKey];

/** Every Seamline metric name, for checks that walk the whole set. */
export const ALL_METRIC_NAMES: readonly MetricName[] = Object.values(METRIC_NAMES);

/** Names that are histograms (exported as `_bucket`/`_sum`/`_count` series). */
export const HISTOGRAM_METRIC_NAMES: readonly MetricName[] = [
  METRIC_NAMES.quorumOpDuration,
  METRIC_NAMES.effectAttempts,
  METRIC_NAMES.sagaDuration,
  METRIC_NAMES.httpRequestDuration,
];

const HISTOGRAM_SUFFIX = /_(bucket|sum|count)$/;

/**
 * Maps an exported series name back to its metric name: `x_bucket`, `x_sum`
 * and `x_count` become `x` when `x` is a histogram; anything else is returned
 * unchanged. Lets dashboard/alert checks accept histogram series names.
 */
export function baseMetricName(series: string): string {
  const base = series.replace(HISTOGRAM_SUFFIX, '');
  return base !== series && (HISTOGRAM_METRIC_NAMES as readonly string[]).includes(base)
    ? base
    : series;
}

/** Whether `series` (possibly a histogram `_bucket`/`_sum`/`_count` series) is a Seamline metric. */
export function isSeamlineSeries(series: string): boolean {
  return (ALL_METRIC_NAMES as readonly string[]).includes(baseMetricName(series));
}

// Label values that several packages must agree on. Other labels (consumer,
// domain, downstream, service, operation, reason, route) are open sets but
// must stay low-cardinality: never a saga id or an idempotency key.

/** `op` label of the quorum metrics. */
export type QuorumOp = 'write' | 'read' | 'install_fence';
/** `mode` label of the quorum latency histogram. */
export type ConsistencyMode = 'quorum' | 'linearizable' | 'eventual';
/** `outcome` label of `seamline_quorum_acks_total`. */
export type AckOutcome = 'ack' | 'nack' | 'timeout' | 'rejected';
/** `outcome` label of `seamline_saga_outcomes_total`. */
export type SagaOutcome = 'completed' | 'cancelled';
/**
 * `layer` label of `seamline_effect_attempts`: where one logical effect's attempts were
 * counted. `client`: POST /orders requests per Idempotency-Key at the order edge;
 * `orchestrator`: sends per saga step; `downstream`: arrivals at the receiving handler per
 * effect key (the realized product of re-sends and redeliveries).
 */
export type EffectLayer = 'client' | 'orchestrator' | 'downstream';
/**
 * `cause` label of `seamline_effect_arrivals_total`: why a command reached its handler.
 * `first`: first send, first delivery; `resend`: an orchestrator re-send (attempt > 1), first
 * delivery of it; `redelivery`: the bus delivered the same send again (delivery count > 1).
 */
export type ArrivalCause = 'first' | 'resend' | 'redelivery';

export const QUORUM_OPS: readonly QuorumOp[] = ['write', 'read', 'install_fence'];
export const CONSISTENCY_MODES: readonly ConsistencyMode[] = ['quorum', 'linearizable', 'eventual'];
export const ACK_OUTCOMES: readonly AckOutcome[] = ['ack', 'nack', 'timeout', 'rejected'];
export const SAGA_OUTCOMES: readonly SagaOutcome[] = ['completed', 'cancelled'];
export const EFFECT_LAYERS: readonly EffectLayer[] = ['client', 'orchestrator', 'downstream'];
export const ARRIVAL_CAUSES: readonly ArrivalCause[] = ['first', 'resend', 'redelivery'];
