/**
 * Hunts: log lines missing `service`, saga fields not bound (a line that
 * matters cannot be tied to its saga), a bigint token crashing JSON output,
 * a trace id not picked up from the active span.
 */
import { Writable } from 'node:stream';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { bindSagaContext, createLogger, startTracing } from './index.ts';

function memoryStream(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { stream, lines };
}

describe('createLogger', () => {
  it('writes JSON lines with service and a named level', () => {
    const out = memoryStream();
    const logger = createLogger({ service: 'payment', destination: out.stream });
    logger.info({ amount: 5 }, 'charged');
    expect(out.lines()).toEqual([
      expect.objectContaining({ service: 'payment', level: 'info', msg: 'charged', amount: 5 }),
    ]);
  });

  it('drops lines below the configured level', () => {
    const out = memoryStream();
    const logger = createLogger({ service: 'order', level: 'warn', destination: out.stream });
    logger.info('quiet');
    logger.warn('loud');
    expect(out.lines().map((l) => l['msg'])).toEqual(['loud']);
  });
});

describe('bindSagaContext', () => {
  it('binds sagaId, step and token (bigint as a decimal string) on every line', () => {
    const out = memoryStream();
    const logger = createLogger({ service: 'order', destination: out.stream });
    const bound = bindSagaContext(logger, { sagaId: 's-1', step: 'charge', token: 12n });
    bound.warn('fenced');
    bound.info('again');
    for (const line of out.lines()) {
      expect(line).toMatchObject({ service: 'order', sagaId: 's-1', step: 'charge', token: '12' });
      expect(line).not.toHaveProperty('traceId');
    }
  });

  it('takes the trace id from the active span when none is given', async () => {
    const out = memoryStream();
    const logger = createLogger({ service: 'order', destination: out.stream });
    const tracing = startTracing({
      serviceName: 'order',
      exporter: new InMemorySpanExporter(),
      instrument: false,
    });
    try {
      const traceId = tracing.tracer.startActiveSpan('step', (span) => {
        bindSagaContext(logger, { sagaId: 's-2' }).info('step started');
        span.end();
        return span.spanContext().traceId;
      });
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(out.lines()[0]).toMatchObject({ sagaId: 's-2', traceId });
    } finally {
      await tracing.shutdown();
    }
  });

  it('prefers an explicit trace id', () => {
    const out = memoryStream();
    const logger = createLogger({ service: 'order', destination: out.stream });
    bindSagaContext(logger, { traceId: 'abc' }).info('x');
    expect(out.lines()[0]).toMatchObject({ traceId: 'abc' });
  });
});
