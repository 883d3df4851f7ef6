/**
 * A service's start-up as named steps, each bounded in time and logged: one `started` line
 * with the bound, one `done` line with the duration, or one error line naming the step that
 * failed or overran. A start that hangs (a NATS request that never answers, a watch that never
 * opens) then says where it hangs and ends instead of leaving a process that answers 503 for
 * ever: the step's error fails the start and the process runner exits, so the supervisor
 * starts a fresh process.
 */

/** The subset of pino's API the steps log through. */
export interface StartUpLog {
  info(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface StartUpStepsOptions {
  readonly log: StartUpLog;
  /** Injected for tests. @default performance.now */
  readonly clock?: () => number;
}

/**
 * A start-up step did not finish within its bound. Retryable by a fresh process, never in the
 * same one: the step's work may still be pending and hold what it opened.
 */
export class StartUpStepTimeoutError extends Error {
  readonly code = 'START_UP_STEP_TIMEOUT' as const;
  readonly retryable = true as const;

  constructor(
    /** The step that overran, e.g. `election`. */
    readonly step: string,
    readonly boundMs: number,
    /** Where the step was when it ran out of time, when the step can tell. */
    readonly where?: string,
  ) {
    super(
      `start-up step "${step}" did not finish within ${boundMs} ms` +
        (where === undefined ? '' : ` (${where})`),
    );
    this.name = 'StartUpStepTimeoutError';
  }
}

/**
 * A start-up step failed. Keeps the step's own error as `cause` and its `code` and
 * `retryable`, so the runner still tells a passing condition from a terminal one.
 */
export class StartUpStepError extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(
    readonly step: string,
    cause: unknown,
  ) {
    const c = cause as { message?: unknown; code?: unknown; retryable?: unknown } | undefined;
    super(`start-up step "${step}" failed: ${String(c?.message ?? cause)}`, { cause });
    this.name = 'StartUpStepError';
    this.code = typeof c?.code === 'string' ? c.code : 'START_UP_STEP_FAILED';
    this.retryable = c?.retryable === true;
  }
}

/** Runs the steps of one start; see the file comment. */
export class StartUpSteps {
  readonly #log: StartUpLog;
  readonly #clock: () => number;
  readonly #startedAt: number;

  constructor(options: StartUpStepsOptions) {
    this.#log = options.log;
    this.#clock = options.clock ?? (() => performance.now());
    this.#startedAt = this.#clock();
  }

  /**
   * Runs `work` as step `step`, failing with {@link StartUpStepTimeoutError} once `boundMs`
   * has passed. The work is not cancelled (most clients cannot be): the caller's clean-up
   * (closing the connection the work runs on) is what ends it.
   */
  async run<T>(
    step: string,
    boundMs: number,
    work: () => Promise<T>,
    where?: () => string,
  ): Promise<T> {
    const started = this.#clock();
    this.#log.info(
      { event: 'start-up-step', step, phase: 'started', boundMs },
      `start-up step ${step}: started`,
    );
    try {
      const result = await withinBound(work, boundMs, () => {
        let at: string | undefined;
        try {
          at = where?.();
        } catch {
          // A failing description must not hide the overrun itself.
        }
        return new StartUpStepTimeoutError(step, boundMs, at);
      });
      const durationMs = Math.round(this.#clock() - started);
      this.#log.info(
        { event: 'start-up-step', step, phase: 'done', durationMs },
        `start-up step ${step}: done in ${durationMs} ms`,
      );
      return result;
    } catch (err) {
      const durationMs = Math.round(this.#clock() - started);
      const failure =
        err instanceof StartUpStepTimeoutError ? err : new StartUpStepError(step, err);
      this.#log.error(
        {
          event: 'start-up-step',
          step,
          phase: err instanceof StartUpStepTimeoutError ? 'timed-out' : 'failed',
          durationMs,
          boundMs,
          err: failure.message,
        },
        failure.message,
      );
      throw failure;
    }
  }

  /** Logs the end of the start with its total duration. */
  done(message: string): void {
    const durationMs = Math.round(this.#clock() - this.#startedAt);
    this.#log.info({ event: 'start-up', phase: 'done', durationMs }, message);
  }
}

/** Thrown by {@link withinBound} when no other error is given. */
export class BoundExceededError extends Error {
  readonly code = 'BOUND_EXCEEDED' as const;
  readonly retryable = true as const;

  constructor(readonly boundMs: number) {
    super(`did not finish within ${boundMs} ms`);
    this.name = 'BoundExceededError';
  }
}

/**
 * `work()`, or the error `overrun()` builds once `boundMs` has passed. The work itself is not
 * cancelled; whoever owns what it runs on must end it.
 */
export async function withinBound<T>(
  work: () => Promise<T>,
  boundMs: number,
  overrun: () => Error = () => new BoundExceededError(boundMs),
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(overrun()), boundMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(work), late]);
  } finally {
    clearTimeout(timer);
  }
}
