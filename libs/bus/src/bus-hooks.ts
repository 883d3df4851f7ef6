/**
 * Narrow hooks the bus calls out to: metrics, logging and fault injection. The bus depends on
 * none of prom-client, pino or the chaos controller; the app wires them in.
 */
import { Logger } from '@nestjs/common';
import type { BusCommand } from './bus-command.ts';

/** How one delivery ended, from the server's point of view. */
export type HandledOutcome =
  'ok' | 'terminal' | 'retry' | 'deadline' | 'dead-letter' | 'dropped' | 'reply-failed';

/** Metric hooks (wire them to prom-client counters and histograms). */
export type BusObserver = {
  onDeadLetter?(reason: string, subject: string): void;
  /** One per JetStream delivery (all duplicateDelivery runs of it together); `seconds` = handling time. */
  onHandled?(pattern: string, outcome: HandledOutcome, seconds: number): void;
  /** A delivery with `deliveryCount > 1`. */
  onRedelivery?(pattern: string): void;
};

/**
 * Fault injection for chaos tests; production leaves it unset.
 * - `beforeHandle` 'drop': the command is consumed and discarded without effect or reply (lost
 *   in transit; only the orchestrator's re-drive recovers it). 'fail': the delivery fails as a
 *   retryable error. `{ delayMs }`: handling starts later (the deadline is checked after).
 * - `afterCommit` 'drop-reply': the handler's effect committed, the reply is not published, the
 *   command is acked (a lost response).
 */
export type BusFaults = {
  beforeHandle?(cmd: BusCommand<unknown>): 'drop' | 'fail' | { delayMs: number } | undefined;
  afterCommit?(cmd: BusCommand<unknown>): 'drop-reply' | undefined;
};

/** The subset of pino's API the bus logs through. */
export type BusLogger = {
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
};

/** Default logger: Nest's, one JSON object per line. */
export function nestBusLogger(context: string): BusLogger {
  const logger = new Logger(context);
  const line = (fields: Record<string, unknown>, message: string): string =>
    `${message} ${safeJson(fields)}`;
  return {
    warn: (fields, message) => logger.warn(line(fields, message)),
    error: (fields, message) => logger.error(line(fields, message)),
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (v instanceof Error ? v.message : v));
  } catch {
    return '{}';
  }
}
