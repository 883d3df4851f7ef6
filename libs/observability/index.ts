/**
 * @seamline/observability: the seam signals of every Seamline process.
 * Metrics (prom-client, fixed names), structured logs (pino) and traces (OTel).
 */
export {
  ACK_OUTCOMES,
  ALL_METRIC_NAMES,
  ARRIVAL_CAUSES,
  CONSISTENCY_MODES,
  EFFECT_LAYERS,
  HISTOGRAM_METRIC_NAMES,
  METRIC_NAMES,
  QUORUM_OPS,
  SAGA_OUTCOMES,
  baseMetricName,
  isSeamlineSeries,
} from './metric-names.ts';
export type {
  AckOutcome,
  ArrivalCause,
  ConsistencyMode,
  EffectLayer,
  MetricKey,
  MetricName,
  QuorumOp,
  SagaOutcome,
} from './metric-names.ts';
export {
  ATTEMPT_BUCKETS,
  LATENCY_BUCKETS_SECONDS,
  SAGA_DURATION_BUCKETS_SECONDS,
  createMetrics,
} from './metrics.ts';
export type { CreateMetricsOptions, SeamlineMetrics } from './metrics.ts';
export { activeTraceId, bindSagaContext, createLogger } from './logger.ts';
export type { Logger, LoggerOptions, SagaLogContext } from './logger.ts';
export { startTracing, tracesEndpoint } from './tracing.ts';
export type { Tracing, TracingOptions } from './tracing.ts';
export {
  TRACE_HEADERS,
  extractContext,
  injectTraceparent,
  withExtractedContext,
} from './trace-context.ts';
export type { IncomingHeaders } from './trace-context.ts';
export { bucketQuantile, labelsMatch, parseExposition, sumSamples } from './exposition.ts';
export type { Exposition, Sample } from './exposition.ts';
export {
  BUS_SPAN_ATTRIBUTES,
  serviceTracer,
  withConsumerSpan,
  withProducerSpan,
} from './bus-spans.ts';
export type { BusMessageInfo } from './bus-spans.ts';
export { traceMessageHandlers, tracedBusClient } from './traced-bus.ts';
export type { MessageHandlerRegistry, TraceableBusClient } from './traced-bus.ts';
export {
  antiEntropyLogObserver,
  busMetricsObserver,
  duplicateEffectsObserver,
  effectArrivalsObserver,
  effectAttemptsObserver,
  electionMetricsObserver,
  idempotencyMetricsObserver,
  quorumMetricsObserver,
} from './seam-observers.ts';
export type { FencingRejectionEvent } from './seam-observers.ts';
