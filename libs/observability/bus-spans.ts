/**
 * Spans for bus messages, so one order is one trace across every service: a PRODUCER span per
 * command sent (its context is what the message's `traceparent` carries) and a CONSUMER span per
 * command or reply handled, parented by that `traceparent`.
 *
 * The bus propagates the context but starts no spans; these helpers add them at the edges the
 * apps own (the orchestrator's bus client, the services' Nest message handlers), so the bus stays
 * free of any tracing SDK. With tracing off every span is the API's non-recording span, and the
 * wrapped call runs directly.
 */
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, Span, Tracer } from '@opentelemetry/api';

/** Attribute names on bus spans: OTel messaging conventions plus the saga coordinates. */
export const BUS_SPAN_ATTRIBUTES = {
  system: 'messaging.system',
  operation: 'messaging.operation.type',
  destination: 'messaging.destination.name',
  sagaId: 'seamline.saga_id',
  step: 'seamline.step',
  idempotencyKey: 'seamline.idempotency_key',
  attempt: 'seamline.attempt',
  deliveryCount: 'seamline.delivery_count',
  service: 'seamline.service',
} as const;

/** What a bus span says about its message. */
export interface BusMessageInfo {
  /** `<service>.<action>` of the command (for a reply: of the command it answers). */
  readonly pattern: string;
  readonly sagaId?: string;
  readonly step?: string;
  readonly idempotencyKey?: string;
  /** Orchestrator send attempt (1 = first send). */
  readonly attempt?: number;
  /** JetStream delivery count (1 = first delivery). */
  readonly deliveryCount?: number;
}

/** The tracer of one service; spans it starts name the service as their instrumentation scope. */
export function serviceTracer(service: string): Tracer {
  return trace.getTracer(service);
}

function attributesOf(operation: 'send' | 'process', info: BusMessageInfo): Attributes {
  const a = BUS_SPAN_ATTRIBUTES;
  const out: Attributes = {
    [a.system]: 'nats',
    [a.operation]: operation,
    [a.destination]: info.pattern,
  };
  if (info.sagaId !== undefined) out[a.sagaId] = info.sagaId;
  if (info.step !== undefined) out[a.step] = info.step;
  if (info.idempotencyKey !== undefined) out[a.idempotencyKey] = info.idempotencyKey;
  if (info.attempt !== undefined) out[a.attempt] = info.attempt;
  if (info.deliveryCount !== undefined) out[a.deliveryCount] = info.deliveryCount;
  return out;
}

/** Runs `fn` as the active span `span`, ending it with the outcome of `fn`. */
async function runIn<T>(span: Span, fn: () => Promise<T>): Promise<T> {
  if (!span.isRecording()) {
    span.end();
    return fn();
  }
  try {
    return await context.with(trace.setSpan(context.active(), span), fn);
  } catch (err) {
    markFailed(span, err);
    throw err;
  } finally {
    span.end();
  }
}

function markFailed(span: Span, err: unknown): void {
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message ?? String(err) });
}

/** Runs a send of `info.pattern` inside a PRODUCER span `send <pattern>`. */
export function withProducerSpan<T>(
  tracer: Tracer,
  info: BusMessageInfo,
  fn: () => Promise<T>,
): Promise<T> {
  const span = tracer.startSpan(`send ${info.pattern}`, {
    kind: SpanKind.PRODUCER,
    attributes: attributesOf('send', info),
  });
  return runIn(span, fn);
}

/**
 * Runs the handling of a message inside a CONSUMER span `process <name>`, a child of the context
 * active at the call (the bus makes the message's `traceparent` active before the handler runs).
 */
export function withConsumerSpan<T>(
  tracer: Tracer,
  name: string,
  info: BusMessageInfo,
  fn: () => Promise<T>,
): Promise<T> {
  const span = tracer.startSpan(`process ${name}`, {
    kind: SpanKind.CONSUMER,
    attributes: attributesOf('process', info),
  });
  return runIn(span, fn);
}
