import { context, propagation, trace } from '@opentelemetry/api';
import type { Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_INSTANCE_ID } from '@opentelemetry/semantic-conventions';

/** Options of {@link startTracing}. */
export interface TracingOptions {
  /** `service.name` resource attribute (`order`, `payment`, ...). */
  readonly serviceName: string;
  /**
   * `service.instance.id` resource attribute, telling replicas apart (`order-1`).
   * @default undefined
   */
  readonly instanceId?: string;
  /**
   * OTLP/HTTP collector base URL (e.g. `http://jaeger:4318`); spans go to
   * `<otlpUrl>/v1/traces` unless the URL already names that path.
   * @default undefined (no OTLP export)
   */
  readonly otlpUrl?: string;
  /**
   * Extra exporter, fed span by span without batching (tests pass an
   * `InMemorySpanExporter`).
   * @default undefined
   */
  readonly exporter?: SpanExporter;
  /**
   * Patch `http` and `pg` so requests and queries get spans. Modules are
   * patched when loaded, so start tracing before importing the code that
   * loads them (see README).
   * @default true
   */
  readonly instrument?: boolean;
}

/** A started (or deliberately disabled) tracing setup. */
export interface Tracing {
  /** False when neither `otlpUrl` nor `exporter` was given: nothing was started. */
  readonly enabled: boolean;
  /** Tracer named after the service (a no-op tracer when disabled). */
  readonly tracer: Tracer;
  /** Flushes pending spans, unpatches modules and unregisters the global providers. */
  shutdown(): Promise<void>;
}

// The OTel API keeps one global provider per process; a second SDK would be
// silently ignored, so a second start is refused loudly instead.
let running = false;

/**
 * Starts OpenTelemetry tracing for this process with the W3C trace-context
 * propagator. With neither an OTLP URL nor an exporter, tracing is off and
 * costs nothing: no SDK, no patched modules, no context manager.
 */
export function startTracing(options: TracingOptions): Tracing {
  const processors: SpanProcessor[] = [];
  if (options.exporter) processors.push(new SimpleSpanProcessor(options.exporter));
  if (options.otlpUrl !== undefined) {
    const exporter = new OTLPTraceExporter({ url: tracesEndpoint(options.otlpUrl) });
    processors.push(new BatchSpanProcessor(exporter));
  }
  if (processors.length === 0) {
    return {
      enabled: false,
      tracer: trace.getTracer(options.serviceName),
      shutdown: () => Promise.resolve(),
    };
  }
  if (running) throw new Error('startTracing: tracing is already running in this process');

  const instrumentations: (HttpInstrumentation | PgInstrumentation)[] =
    (options.instrument ?? true)
      ? [
          new HttpInstrumentation({
            // Scrapes and probes arrive every few seconds and explain nothing.
            ignoreIncomingRequestHook: (req) => /^\/(metrics|health)\b/.test(req.url ?? ''),
          }),
          new PgInstrumentation(),
        ]
      : [];
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    // Detectors resolve asynchronously and hold every export until they do;
    // the attributes that matter here are known up front.
    autoDetectResources: false,
    resource: resourceFromAttributes(
      options.instanceId === undefined ? {} : { [ATTR_SERVICE_INSTANCE_ID]: options.instanceId },
    ),
    spanProcessors: processors,
    textMapPropagator: new W3CTraceContextPropagator(),
    instrumentations,
    // Metrics go through prom-client and logs through pino; without these
    // empty lists the SDK would start OTLP metric and log exporters from env.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  running = true;

  let stopped: Promise<void> | undefined;
  return {
    enabled: true,
    tracer: trace.getTracer(options.serviceName),
    shutdown() {
      stopped ??= (async () => {
        try {
          await sdk.shutdown();
        } finally {
          for (const instrumentation of instrumentations) instrumentation.disable();
          trace.disable();
          context.disable();
          propagation.disable();
          running = false;
        }
      })();
      return stopped;
    },
  };
}

/** `<base>/v1/traces`, the OTLP/HTTP traces path, unless `url` already ends with it. */
export function tracesEndpoint(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return trimmed.endsWith('/v1/traces') ? trimmed : `${trimmed}/v1/traces`;
}
