import { trace } from '@opentelemetry/api';
import { pino } from 'pino';
import type { DestinationStream, LevelWithSilent, Logger } from 'pino';

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Service name written as `service` on every line (`order`, `payment`, ...). */
  readonly service: string;
  /**
   * Lowest level written.
   * @default 'info'
   */
  readonly level?: LevelWithSilent;
  /**
   * Where lines go. Tests pass an in-memory stream.
   * @default stdout
   */
  readonly destination?: DestinationStream;
  /** Extra fields bound on every line (replica id, partition, ...). */
  readonly base?: Readonly<Record<string, string | number>>;
}

export type { Logger };

/**
 * A pino JSON logger whose every line carries `service`. Levels are written as
 * names (`"level":"warn"`) so log queries do not need pino's numeric scale.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service, ...options.base },
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}

/** The fields that tie a log line to one step of one saga. */
export interface SagaLogContext {
  readonly sagaId?: string;
  readonly step?: string;
  /** Fencing token of the writer; bigints are written as decimal strings (JSON has no bigint). */
  readonly token?: bigint | number | string;
  /** Trace id to bind; defaults to the active OTel span's, when there is one. */
  readonly traceId?: string;
}

/**
 * A child logger bound to a saga step: `sagaId`, `step`, `token` and
 * `traceId`. The trace id is read once, from the span active at the call,
 * so bind inside the span that handles the step.
 */
export function bindSagaContext(logger: Logger, fields: SagaLogContext): Logger {
  const bindings: Record<string, string | number> = {};
  if (fields.sagaId !== undefined) bindings['sagaId'] = fields.sagaId;
  if (fields.step !== undefined) bindings['step'] = fields.step;
  if (fields.token !== undefined) {
    bindings['token'] = typeof fields.token === 'bigint' ? fields.token.toString() : fields.token;
  }
  const traceId = fields.traceId ?? activeTraceId();
  if (traceId !== undefined) bindings['traceId'] = traceId;
  return logger.child(bindings);
}

/** Trace id of the active span, or undefined when none is recording or sampled. */
export function activeTraceId(): string | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  // An all-zero id is the "invalid" context the no-op tracer hands out.
  if (spanContext === undefined || !trace.isSpanContextValid(spanContext)) return undefined;
  return spanContext.traceId;
}
