// The error taxonomy is shaped by what the caller must do next, so callers branch on the
// class (or its stable `code`), never on a message string. Other libs import these from
// `@seamline/retry-budget` rather than inventing look-alikes.

/** Stable machine-readable codes; part of the public contract (logs, metrics, wire). */
export type RetryErrorCode =
  'RETRYABLE' | 'TERMINAL' | 'OVERLOADED' | 'DEADLINE_EXCEEDED' | 'RETRY_SHED';

interface ErrorOptions {
  cause?: unknown;
}

/** A transient failure: the same request may succeed if sent again. */
export class RetryableError extends Error {
  readonly code = 'RETRYABLE' as const;
  /** Server hint (`Retry-After`): do not send again sooner than this. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: ErrorOptions & { retryAfterMs?: number } = {}) {
    super(message, { cause: options.cause });
    this.name = 'RetryableError';
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The request can never succeed as sent (bad input, business rule): do not retry. */
export class TerminalError extends Error {
  readonly code = 'TERMINAL' as const;

  constructor(message: string, options: ErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'TerminalError';
  }
}

/**
 * The downstream asked callers to back off ("overloaded, don't retry"). Retrying now would
 * feed a storm, so the executor gives up at once; a scheduler may try again after
 * `retryAfterMs`.
 */
export class OverloadedError extends Error {
  readonly code = 'OVERLOADED' as const;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: ErrorOptions & { retryAfterMs?: number } = {}) {
    super(message, { cause: options.cause });
    this.name = 'OverloadedError';
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The absolute deadline has passed (or would pass before the next attempt could start). */
export class DeadlineExceededError extends Error {
  readonly code = 'DEADLINE_EXCEEDED' as const;
  /** Absolute deadline, epoch ms. */
  readonly deadline: number;

  constructor(message: string, options: ErrorOptions & { deadline: number }) {
    super(message, { cause: options.cause });
    this.name = 'DeadlineExceededError';
    this.deadline = options.deadline;
  }
}

/**
 * The retry budget of `downstream` is empty, so this retry was shed. Not lost work: the
 * caller leaves its saga step pending and the orchestrator's scheduler tries again later.
 */
export class RetryShedError extends Error {
  readonly code = 'RETRY_SHED' as const;
  readonly downstream: string;

  constructor(message: string, options: ErrorOptions & { downstream: string }) {
    super(message, { cause: options.cause });
    this.name = 'RetryShedError';
    this.downstream = options.downstream;
  }
}

/** Any member of the taxonomy. */
export type RetryTaxonomyError =
  RetryableError | TerminalError | OverloadedError | DeadlineExceededError | RetryShedError;

const CODES: ReadonlySet<string> = new Set<RetryErrorCode>([
  'RETRYABLE',
  'TERMINAL',
  'OVERLOADED',
  'DEADLINE_EXCEEDED',
  'RETRY_SHED',
]);

/** True for any taxonomy error, including ones rebuilt from a wire `code`. */
export function isRetryTaxonomyError(err: unknown): err is RetryTaxonomyError {
  const code: unknown = err instanceof Error ? (err as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && CODES.has(code);
}
