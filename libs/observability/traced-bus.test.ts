/**
 * Hunts: a send whose `traceparent` is not its own PRODUCER span (the receiver would hang off the
 * HTTP span, or off nothing), a reply handled outside the trace it carries, a handler span that
 * ends before Nest's Observable result settled (its queries would fall outside it), a failed
 * handler recorded as a success, a proxied client whose other methods lose their `this`.
 */
import { context, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { defer, from, throwError } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BUS_SPAN_ATTRIBUTES,
  injectTraceparent,
  startTracing,
  traceMessageHandlers,
  tracedBusClient,
  withExtractedContext,
} from './index.ts';
import type { Tracing } from './index.ts';

let current: Tracing | undefined;
afterEach(async () => {
  await current?.shutdown();
  current = undefined;
});

function start() {
  const exporter = new InMemorySpanExporter();
  current = startTracing({ serviceName: 'order', exporter, instrument: false });
  return { tracer: current.tracer, exporter };
}

type Reply = {
  pattern: string;
  sagaId: string;
  step: string;
  idempotencyKey: string;
  attempt: number;
  deliveryCount: number;
};

class FakeBusClient {
  readonly #sent: Record<string, string>[] = [];
  #onReply: ((r: Reply) => Promise<void>) | undefined;
  async send(
    _s: string,
    _a: string,
    _p: unknown,
    _h: { sagaId: string; step: string; attempt: number },
  ) {
    this.#sent.push(injectTraceparent({}));
    return { seq: this.#sent.length };
  }
  async consumeReplies(_requester: string, handler: (r: Reply) => Promise<void>) {
    this.#onReply = handler;
    return { stop: async () => {} };
  }
  deliver(headers: Record<string, string>, reply: Reply) {
    return withExtractedContext(headers, () => this.#onReply!(reply));
  }
  sentHeaders() {
    return this.#sent;
  }
}

const headers = { sagaId: 's-1', step: 'charge', attempt: 2 };
const reply: Reply = {
  pattern: 'payment.charge',
  ...headers,
  idempotencyKey: 's-1:charge:charge',
  deliveryCount: 1,
};

describe('tracedBusClient', () => {
  it('sends inside a PRODUCER span whose context the message carries', async () => {
    const { tracer, exporter } = start();
    const bus = tracedBusClient(new FakeBusClient(), tracer);
    await tracer.startActiveSpan('POST /orders', async (root) => {
      await bus.send('payment', 'charge', {}, headers);
      root.end();
    });
    const send = exporter.getFinishedSpans().find((s) => s.name === 'send payment.charge')!;
    expect(send.kind).toBe(SpanKind.PRODUCER);
    expect(send.attributes[BUS_SPAN_ATTRIBUTES.sagaId]).toBe('s-1');
    expect(send.attributes[BUS_SPAN_ATTRIBUTES.attempt]).toBe(2);
    const root = exporter.getFinishedSpans().find((s) => s.name === 'POST /orders')!;
    expect(send.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    // Other members still work: the proxy binds them to the real client (private fields).
    const carried = bus.sentHeaders()[0]!['traceparent'];
    expect(carried).toContain(send.spanContext().spanId);
  });

  it('handles each reply in a CONSUMER span under the trace the reply carries', async () => {
    const { tracer, exporter } = start();
    const fake = new FakeBusClient();
    const bus = tracedBusClient(fake, tracer);
    let inside: string | undefined;
    await bus.consumeReplies('order', async () => {
      inside = injectTraceparent({})['traceparent'];
    });
    const carried = tracer.startActiveSpan('send payment.charge', (s) => {
      s.end();
      return injectTraceparent({});
    });
    await context.with(context.active(), () => fake.deliver(carried, reply));
    const span = exporter
      .getFinishedSpans()
      .find((s) => s.name === 'process payment.charge reply')!;
    expect(span.kind).toBe(SpanKind.CONSUMER);
    expect(carried['traceparent']).toContain(span.spanContext().traceId);
    expect(inside).toContain(span.spanContext().spanId);
  });
});

describe('traceMessageHandlers', () => {
  function server(handler: (data: unknown) => Promise<unknown>) {
    const handlers = new Map([['payment.charge', Object.assign(handler, { extras: { x: 1 } })]]);
    return { getHandlers: () => handlers };
  }
  const cmd = { pattern: 'payment.charge', sagaId: 's-1', step: 'charge', deliveryCount: 3 };

  it('keeps the span open until the Observable result settles, and returns its last value', async () => {
    const { tracer, exporter } = start();
    let ended: boolean | undefined;
    const s = server(async () =>
      defer(() => {
        ended = exporter.getFinishedSpans().length > 0;
        return from(Promise.resolve({ outcome: 'applied' }));
      }),
    );
    traceMessageHandlers(s, tracer);
    traceMessageHandlers(s, tracer); // idempotent: never two spans per command
    const result = await s.getHandlers().get('payment.charge')!(cmd);
    expect(result).toEqual({ outcome: 'applied' });
    expect(ended).toBe(false);
    const spans = exporter.getFinishedSpans();
    expect(spans.map((x) => x.name)).toEqual(['process payment.charge']);
    expect(spans[0]!.attributes[BUS_SPAN_ATTRIBUTES.deliveryCount]).toBe(3);
    expect(s.getHandlers().get('payment.charge')!.extras).toEqual({ x: 1 });
  });

  it('records a failed handler as an error and rethrows what the filter produced', async () => {
    const { tracer, exporter } = start();
    const s = server(async () => throwError(() => ({ code: 'DECLINED', retryable: false })));
    traceMessageHandlers(s, tracer);
    await expect(s.getHandlers().get('payment.charge')!(cmd)).rejects.toEqual({
      code: 'DECLINED',
      retryable: false,
    });
    expect(exporter.getFinishedSpans()[0]!.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('costs nothing but the call when tracing is off', async () => {
    const s = server(async (data) => data);
    traceMessageHandlers(s, startTracing({ serviceName: 'payment' }).tracer);
    await expect(s.getHandlers().get('payment.charge')!(cmd)).resolves.toBe(cmd);
  });
});
