import type { AttemptCounter } from './attempt-counter.ts';
import { Backoff } from './backoff.ts';
import { DeadlineExceededError, RetryShedError } from './errors.ts';
import { integerAtLeast, InvalidOptionError } from './option-checks.ts';
import type { RetryBudget } from './retry-budget.ts';
import { notify, type RetryObserver } from './retry-observer.ts';

/** What to do after a failed attempt. */
export type RetryDecision =
  | { kind: 'retry'; retryAfterMs?: number | undefined }
  | { kind: 'terminal' }
  | { kind: 'overloaded' };

/**
 * Default classification: by the taxonomy's stable `code` (so errors rebuilt from the wire
 * classify too). Anything unknown is terminal: retrying what we do not understand is how
 * storms start. A nested `RETRY_SHED` means a layer below is already shedding, so this
 * layer must not add retries on top.
 */
export function classifyByCode(err: unknown): RetryDecision {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'RETRYABLE') {
    const retryAfterMs = (err as { retryAfterMs?: unknown }).retryAfterMs;
    return {
      kind: 'retry',
      retryAfterMs: typeof retryAfterMs === 'number' ? retryAfterMs : undefined,
    };
  }
  if (code === 'OVERLOADED' || code === 'RETRY_SHED') return { kind: 'overloaded' };
  return { kind: 'terminal' };
}

/** Passed to each attempt so it can propagate the deadline to the next hop. */
export interface RetryAttempt {
  /** 1 for the first attempt. */
  attempt: number;
  /** Absolute deadline, epoch ms. */
  deadline: number;
  /** Time left when the attempt starts; always > 0. */
  remainingMs: number;
}

/** Options of {@link retry}. */
export interface RetryOptions {
  /** The downstream's shared budget (from `RetryBudgets.get`). */
  budget: RetryBudget;
  /** Absolute deadline, epoch ms: no attempt starts at or after it. */
  deadline: number;
  /** Most attempts, the first included. @default 5 */
  maxAttempts?: number;
  /** Maps a failure to a decision. @default classifyByCode */
  classify?: (err: unknown) => RetryDecision;
  /** @default new Backoff() (50 ms base, x2, 5 s cap, full jitter) */
  backoff?: Backoff;
  /** Injected clock, epoch ms; use the budget's clock. @default Date.now */
  clock?: () => number;
  /** Injected sleeper; tests pass one that advances a fake clock. @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
  /** Metric hooks. @default none */
  observer?: RetryObserver;
  /** Counts this call's attempts per logical effect. @default none */
  attempts?: { counter: AttemptCounter; key: string; layer: string };
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn`, retrying failures classified retryable while the budget, the attempt limit and
 * the deadline allow. Throws the last failure when it is terminal, overloaded or attempts
 * run out; `RetryShedError` when the budget refuses a retry (leave the step pending for the
 * scheduler); `DeadlineExceededError` when the next attempt could not start in time.
 */
export async function retry<T>(
  fn: (attempt: RetryAttempt) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const { budget, observer } = options;
  const deadline = options.deadline;
  if (!Number.isFinite(deadline)) {
    throw new InvalidOptionError('deadline', 'a finite epoch-ms number', deadline);
  }
  const maxAttempts = integerAtLeast('maxAttempts', options.maxAttempts ?? 5, 1);
  const classify = options.classify ?? classifyByCode;
  const backoff = options.backoff ?? new Backoff();
  const clock = options.clock ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const downstream = budget.downstream;

  const start = (attempt: number, cause: unknown): RetryAttempt => {
    const now = clock();
    if (now >= deadline) {
      throw new DeadlineExceededError(
        `deadline passed before attempt ${attempt} to ${downstream} could start`,
        { deadline, cause },
      );
    }
    notify(observer, 'onAttempt', downstream, attempt);
    options.attempts?.counter.record(options.attempts.key, options.attempts.layer);
    return { attempt, deadline, remainingMs: deadline - now };
  };

  let current = start(1, undefined);
  // Only requests deposit; retries spend. Depositing per attempt would let retries fund
  // their own retries.
  budget.deposit();
  notify(observer, 'onBalance', downstream, budget.balance());

  for (;;) {
    try {
      return await fn(current);
    } catch (err) {
      const decision = classify(err);
      if (decision.kind !== 'retry' || current.attempt >= maxAttempts) throw err;

      const step = backoff.next(current.attempt, {
        now: clock(),
        deadline,
        ...(decision.retryAfterMs === undefined ? {} : { retryAfterMs: decision.retryAfterMs }),
      });
      if (step.kind === 'no-more-time') {
        throw new DeadlineExceededError(
          `no time left before the deadline to retry ${downstream} (attempt ${current.attempt})`,
          { deadline, cause: err },
        );
      }
      // Withdraw before sleeping: a shed retry should fail fast, not after its backoff.
      const granted = budget.tryWithdraw();
      notify(observer, 'onBalance', downstream, budget.balance());
      if (!granted) {
        notify(observer, 'onShed', downstream);
        throw new RetryShedError(`retry budget for ${downstream} is empty; retry shed`, {
          downstream,
          cause: err,
        });
      }
      notify(observer, 'onRetry', downstream);
      await sleep(step.delayMs);
      current = start(current.attempt + 1, err);
    }
  }
}
