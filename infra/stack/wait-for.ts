/**
 * Polling on a condition with an overall deadline: the only way the stack (and the tests that
 * use it) waits for something. A fixed sleep either wastes time or flakes on a loaded machine;
 * a condition with a deadline does neither and fails with a message that says what it waited for.
 */

export interface WaitForOptions {
  /** Human description used in the timeout error, e.g. `pg-1 answering select 1`. */
  what: string;
  /** Overall deadline. @default 30_000 */
  timeoutMs?: number;
  /** Pause between attempts. @default 100 */
  intervalMs?: number;
  /**
   * Checked before every attempt; a returned string stops the wait at once with that reason
   * (e.g. "the process exited"), so a crashed server fails fast instead of at the deadline.
   */
  abortIf?: () => string | undefined | Promise<string | undefined>;
}

/** The condition never held before the deadline; `lastError` is the last attempt's failure. */
export class WaitTimeoutError extends Error {
  readonly code = 'WAIT_TIMEOUT';
  readonly what: string;
  readonly lastError: unknown;

  constructor(what: string, timeoutMs: number, lastError: unknown) {
    const last = lastError === undefined ? '' : ` (last attempt: ${describeError(lastError)})`;
    super(`timed out after ${timeoutMs} ms waiting for ${what}${last}`, { cause: lastError });
    this.name = 'WaitTimeoutError';
    this.what = what;
    this.lastError = lastError;
  }
}

/** `abortIf` reported that waiting longer cannot help. */
export class WaitAbortedError extends Error {
  readonly code = 'WAIT_ABORTED';
  readonly what: string;

  constructor(what: string, reason: string) {
    super(`gave up waiting for ${what}: ${reason}`);
    this.name = 'WaitAbortedError';
    this.what = what;
  }
}

type Falsy = false | undefined | null;

/**
 * Calls `condition` until it returns a truthy value (which is returned) or the deadline passes.
 * A throwing attempt counts as "not yet"; its error is kept for the timeout message.
 */
export async function waitFor<T>(
  condition: () => T | Falsy | Promise<T | Falsy>,
  options: WaitForOptions,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    const reason = await options.abortIf?.();
    if (reason !== undefined) throw new WaitAbortedError(options.what, reason);
    try {
      const value = await condition();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() + intervalMs > deadline) {
      throw new WaitTimeoutError(options.what, timeoutMs, lastError);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !error.message.includes(code)
      ? `${code}: ${error.message}`
      : error.message || error.name;
  }
  return String(error);
}
