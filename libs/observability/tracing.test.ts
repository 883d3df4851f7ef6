/**
 * Hunts: trace context lost across a bus hop (the consumer's span starts a
 * new trace), a malformed traceparent breaking message handling, tracing
 * doing work when it is switched off, a second SDK start silently ignored.
 */
import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { injectTraceparent, startTracing, tracesEndpoint, withExtractedContext } from './index.ts';
import type { Tracing } from './index.ts';

let current: Tracing | undefined;
afterEach(async () => {
  await current?.shutdown();
  current = undefined;
});

function start(): { tracing: Tracing; exporter: InMemorySpanExporter } {
  const exporter = new InMemorySpanExporter();
  current = startTracing({ serviceName: 'order', exporter, instrument: false });
  return { tracing: current, exporter };
}

describe('trace context across a message', () => {
  it('a span started in withExtractedContext is a child of the sender span', () => {
    const { tracing, exporter } = start();
    const headers: Record<string, string> = { 'seamline-saga-id': 's-1' };
    const parent = tracing.tracer.startActiveSpan('send reserve', (span) => {
      injectTraceparent(headers);
      span.end();
      return span.spanContext();
    });
    expect(headers['traceparent']).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

    // Receiver side: no ambient context, only the headers.
    context.with(context.active(), () => {
      withExtractedContext(headers, () => {
        tracing.tracer.startActiveSpan('handle reserve', (span) => span.end());
      });
    });

    const child = exporter.getFinishedSpans().find((s) => s.name === 'handle reserve');
    expect(child?.spanContext().traceId).toBe(parent.traceId);
    expect(child?.parentSpanContext?.spanId).toBe(parent.spanId);
    expect(child?.parentSpanContext?.isRemote).toBe(true);
  });

  it('finds the header whatever its case, as NATS clients may canonicalise it', () => {
    const { tracing, exporter } = start();
    const headers: Record<string, string> = {};
    const parent = tracing.tracer.startActiveSpan('send', (span) => {
      injectTraceparent(headers);
      span.end();
      return span.spanContext();
    });
    const incoming = { Traceparent: [headers['traceparent']!] };
    withExtractedContext(incoming, () => tracing.tracer.startSpan('handle').end());
    const child = exporter.getFinishedSpans().find((s) => s.name === 'handle');
    expect(child?.spanContext().traceId).toBe(parent.traceId);
  });

  it('runs the handler in a fresh trace when the traceparent is malformed or absent', () => {
    const { tracing, exporter } = start();
    const result = withExtractedContext({ traceparent: 'garbage' }, () => {
      tracing.tracer.startSpan('handle').end();
      return 'handled';
    });
    expect(result).toBe('handled');
    const span = exporter.getFinishedSpans()[0];
    expect(span?.parentSpanContext).toBeUndefined();
    expect(withExtractedContext({}, () => trace.getActiveSpan())).toBeUndefined();
  });

  it('injects nothing when no span is active', () => {
    start();
    expect(injectTraceparent({})).toEqual({});
  });
});

describe('startTracing', () => {
  it('is off and starts nothing without an exporter or OTLP URL', async () => {
    const tracing = startTracing({ serviceName: 'payment' });
    expect(tracing.enabled).toBe(false);
    const headers: Record<string, string> = {};
    tracing.tracer.startActiveSpan('noop', (span) => {
      injectTraceparent(headers);
      expect(span.isRecording()).toBe(false);
      span.end();
    });
    expect(headers).toEqual({});
    await tracing.shutdown();
  });

  it('refuses a second start while one is running, and allows one after shutdown', async () => {
    const { tracing } = start();
    const exporter = new InMemorySpanExporter();
    expect(() => startTracing({ serviceName: 'x', exporter, instrument: false })).toThrow(
      /already running/,
    );
    await tracing.shutdown();
    current = startTracing({ serviceName: 'x', exporter, instrument: false });
    current.tracer.startSpan('after restart').end();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['after restart']);
  });

  it('exports to <otlpUrl>/v1/traces', () => {
    expect(tracesEndpoint('http://jaeger:4318')).toBe('http://jaeger:4318/v1/traces');
    expect(tracesEndpoint('http://jaeger:4318/')).toBe('http://jaeger:4318/v1/traces');
    expect(tracesEndpoint('http://c:4318/v1/traces')).toBe('http://c:4318/v1/traces');
  });
});
