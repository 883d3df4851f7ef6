/**
 * The bus's error taxonomy, shaped by what the caller must do: retry (`retryable: true`), or not.
 *
 * Handler errors extend Nest's `RpcException` on purpose: Nest's default RPC exception filter
 * replaces any other error with `{ status: 'error', message: 'Internal server error' }`, which would
 * erase the code and the retry decision before the transport sees them. An `RpcException` passes
 * its `getError()` object through untouched.
 */
import { RpcException } from '@nestjs/microservices';

/** What a failed command turns into on the server: a reply (terminal) or a redelivery (retryable). */
export type BusFailure = {
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
  /** Earliest useful redelivery, when the handler knows it (an "overloaded" answer). */
  readonly retryAfterMs?: number;
};

/** Base of the errors this library raises itself (never of handler errors). */
export abstract class BusError extends Error {
  abstract readonly code: string;
  abstract readonly retryable: boolean;
}

/** A bus message that cannot be understood. Never retried: it is dead-lettered with `reason`. */
export class BusParseError extends BusError {
  readonly code = 'BAD_MESSAGE';
  readonly retryable = false;
  readonly reason: string;
  constructor(reason: string) {
    super(reason);
    this.reason = reason;
    this.name = 'BusParseError';
  }
}

/** JetStream did not confirm a publish (no PubAck, timeout, no stream). Safe to retry. */
export class BusPublishError extends BusError {
  readonly code = 'PUBLISH_FAILED';
  readonly retryable = true;
  constructor(subject: string, cause: unknown) {
    super(`publish to ${subject} was not acknowledged: ${describeError(cause)}`, { cause });
    this.name = 'BusPublishError';
  }
}

/** The deadline passed before the work started; retrying the same attempt cannot succeed. */
export class BusDeadlineError extends BusError {
  readonly code = 'DEADLINE_EXCEEDED';
  readonly retryable = false;
  constructor(deadline: number, now: number) {
    super(`deadline ${new Date(deadline).toISOString()} passed ${now - deadline} ms ago`);
    this.name = 'BusDeadlineError';
  }
}

/** Invalid options or arguments, found at start-up or at the call site. Fix the code. */
export class BusConfigError extends BusError {
  readonly code = 'BAD_CONFIG';
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'BusConfigError';
  }
}

/** Throw from a handler when the command can never succeed: the requester gets `{ ok: false }`. */
export class TerminalCommandError extends RpcException {
  constructor(code: string, message: string) {
    super({ code, message, retryable: false } satisfies BusFailure);
    this.message = message;
    this.name = 'TerminalCommandError';
  }
}

/** Throw from a handler when a later delivery may succeed: the command is redelivered. */
export class RetryableCommandError extends RpcException {
  constructor(code: string, message: string, retryAfterMs?: number) {
    super({ code, message, retryable: true, retryAfterMs } satisfies BusFailure);
    this.message = message;
    this.name = 'RetryableCommandError';
  }
}

/**
 * Classifies whatever a handler threw (or what Nest's filters turned it into). Anything that does
 * not say it is terminal is retryable: a transient fault must not become a permanent answer.
 */
export function toBusFailure(thrown: unknown): BusFailure {
  const source = thrown instanceof RpcException ? thrown.getError() : thrown;
  if (typeof source === 'object' && source !== null) {
    const o = source as Record<string, unknown>;
    const message = typeof o['message'] === 'string' ? o['message'] : describeError(source);
    const code = typeof o['code'] === 'string' && o['code'] !== '' ? o['code'] : 'INTERNAL';
    const retryable = typeof o['retryable'] === 'boolean' ? o['retryable'] : o['terminal'] !== true;
    const after = o['retryAfterMs'];
    return typeof after === 'number' && Number.isFinite(after) && after >= 0
      ? { code, message, retryable, retryAfterMs: after }
      : { code, message, retryable };
  }
  return { code: 'INTERNAL', message: describeError(source), retryable: true };
}

/** A one-line description of any thrown value; never throws. */
export function describeError(e: unknown): string {
  try {
    if (e instanceof Error) return e.message || e.name;
    if (typeof e === 'string') return e;
    return JSON.stringify(e) ?? String(e);
  } catch {
    return 'unprintable error';
  }
}
