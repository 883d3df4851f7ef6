/**
 * One order is one trace, across every hop: the HTTP request, the orchestrator's sends, each
 * service's handler and its Postgres queries, the replies back to the orchestrator.
 *
 * Hunts: a hop that drops `traceparent` (the next service starts a trace of its own), a reply
 * handled outside the trace it answers, handler queries that hang off nothing, a compensation
 * that leaves the order's trace, spans that do not say which saga they belong to.
 *
 * All services run in this process and share one tracer provider with an in-memory exporter;
 * each service's spans carry its name as their instrumentation scope.
 */
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { BUS_SPAN_ATTRIBUTES, startTracing } from '@seamline/observability';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pipeline as PipelineRun } from './pipeline-harness.ts';

// Modules are patched when loaded: start tracing before anything loads pg or fastify (the
// harness and the stack helpers both do), so every import that does is dynamic and below.
const exporter = new InMemorySpanExporter();
const tracing = startTracing({ serviceName: 'seamline-e2e', exporter });
const { Pipeline } = await import('./pipeline-harness.ts');
const { waitFor } = await import('../infra/stack/index.ts');

const SPAN_KIND = { SERVER: 1, PRODUCER: 3, CONSUMER: 4 } as const;
const item = (sku: string, qty = 1) => ({ sku, qty, unitPriceCents: 500 });

const scope = (s: ReadableSpan) => s.instrumentationScope.name;
const sagaOf = (s: ReadableSpan) => s.attributes[BUS_SPAN_ATTRIBUTES.sagaId];

function spansOf(traceId: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
}

/** Whether `ancestor` is on the parent chain of `span` (within the exported spans). */
function descendsFrom(span: ReadableSpan, ancestor: ReadableSpan, all: ReadableSpan[]): boolean {
  const byId = new Map(all.map((s) => [s.spanContext().spanId, s]));
  let at: ReadableSpan | undefined = span;
  while (at?.parentSpanContext !== undefined) {
    if (at.parentSpanContext.spanId === ancestor.spanContext().spanId) return true;
    at = byId.get(at.parentSpanContext.spanId);
  }
  return false;
}

async function orderTrace(p: PipelineRun, key: string, body: unknown) {
  const placed = await p.place(key, body);
  expect(placed.status).toBe(202);
  const orderId = String(placed.json.orderId);
  const done = await p.settled(orderId);
  // The last span of a saga is the orchestrator's handling of the final reply.
  const finalReply = done.status === 'COMPLETED' ? 'payment.charge' : 'inventory.release';
  await waitFor(
    () =>
      exporter
        .getFinishedSpans()
        .some((s) => s.name === `process ${finalReply} reply` && sagaOf(s) === orderId),
    { what: `the span of the ${finalReply} reply`, timeoutMs: 10_000, intervalMs: 20 },
  );
  const http = exporter
    .getFinishedSpans()
    .find(
      (s) =>
        s.kind === SPAN_KIND.SERVER &&
        s.attributes['http.request.method'] === 'POST' &&
        spansOf(s.spanContext().traceId).some((x) => sagaOf(x) === orderId),
    );
  if (process.env['DEBUG_SPANS']) {
    for (const s of exporter.getFinishedSpans())
      console.log(
        s.spanContext().traceId.slice(0, 8),
        s.kind,
        scope(s),
        s.name,
        JSON.stringify(s.attributes),
      );
  }
  expect(http, 'the POST /orders server span').toBeDefined();
  return { orderId, done, http: http!, spans: spansOf(http!.spanContext().traceId) };
}

describe('one order is one trace', () => {
  let p: PipelineRun;
  beforeAll(async () => {
    p = await Pipeline.start({ orderReplicas: 1, basePort: 3830 });
    await p.seed();
  });
  afterAll(async () => {
    await p?.stop();
    await tracing.shutdown();
  });

  it('spans HTTP, the orchestrator, inventory and payment handlers and their queries', async () => {
    const { orderId, done, http, spans } = await orderTrace(p, 'trace-ok', {
      customerId: 'cust-1',
      items: [item('sku-1', 2)],
      currency: 'USD',
    });
    expect(done.status).toBe('COMPLETED');
    const named = (name: string) => spans.find((s) => s.name === name && sagaOf(s) === orderId);

    const sendReserve = named('send inventory.reserve');
    const reserve = named('process inventory.reserve');
    const reserveReply = named('process inventory.reserve reply');
    const sendCharge = named('send payment.charge');
    const charge = named('process payment.charge');
    const chargeReply = named('process payment.charge reply');
    for (const [what, span] of Object.entries({
      sendReserve,
      reserve,
      reserveReply,
      sendCharge,
      charge,
      chargeReply,
    })) {
      expect(span, `${what} in the order's trace`).toBeDefined();
    }

    // Which service made each span, and of which kind.
    expect([sendReserve, reserveReply, sendCharge, chargeReply].map((s) => scope(s!))).toEqual([
      'order',
      'order',
      'order',
      'order',
    ]);
    expect(scope(reserve!)).toBe('inventory');
    expect(scope(charge!)).toBe('payment');
    expect(sendCharge!.kind).toBe(SPAN_KIND.PRODUCER);
    expect(charge!.kind).toBe(SPAN_KIND.CONSUMER);

    // The causal chain: HTTP -> send -> handler, and the reply under the send it answers.
    expect(descendsFrom(sendReserve!, http, spans)).toBe(true);
    expect(reserve!.parentSpanContext?.spanId).toBe(sendReserve!.spanContext().spanId);
    expect(reserveReply!.parentSpanContext?.spanId).toBe(sendReserve!.spanContext().spanId);
    expect(descendsFrom(sendCharge!, reserveReply!, spans)).toBe(true);
    expect(charge!.parentSpanContext?.spanId).toBe(sendCharge!.spanContext().spanId);
    expect(descendsFrom(chargeReply!, sendCharge!, spans)).toBe(true);

    // Postgres queries inside each handler and inside the orchestrator, in the same trace.
    const pgSpans = spans.filter((s) => scope(s).includes('instrumentation-pg'));
    expect(pgSpans.some((s) => descendsFrom(s, reserve!, spans))).toBe(true);
    expect(pgSpans.some((s) => descendsFrom(s, charge!, spans))).toBe(true);
    expect(pgSpans.some((s) => descendsFrom(s, chargeReply!, spans))).toBe(true);

    // No span of this saga lives in another trace.
    const elsewhere = exporter
      .getFinishedSpans()
      .filter(
        (s) => sagaOf(s) === orderId && s.spanContext().traceId !== http.spanContext().traceId,
      );
    expect(elsewhere.map((s) => s.name)).toEqual([]);
  });

  it('keeps a compensation in the order trace', async () => {
    const { orderId, done, http, spans } = await orderTrace(p, 'trace-broke', {
      customerId: 'cust-broke',
      items: [item('sku-2')],
      currency: 'USD',
    });
    expect(done).toMatchObject({ status: 'CANCELLED', reason: 'PAYMENT_DECLINED' });
    const names = spans.filter((s) => sagaOf(s) === orderId).map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'send inventory.reserve',
        'process inventory.reserve',
        'send payment.charge',
        'process payment.charge',
        'send inventory.release',
        'process inventory.release',
        'process inventory.release reply',
      ]),
    );
    expect(spans.every((s) => s.spanContext().traceId === http.spanContext().traceId)).toBe(true);
  });
});
