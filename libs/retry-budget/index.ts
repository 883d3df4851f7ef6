// Public entry of @seamline/retry-budget: the retry token bucket, backoff, the retry
// executor, the attempt counter, and the retry-behaviour error taxonomy.
export { AttemptCounter } from './attempt-counter.ts';
export type { AttemptCounterOptions } from './attempt-counter.ts';
export { Backoff } from './backoff.ts';
export type { BackoffOptions, BackoffStep } from './backoff.ts';
export {
  DeadlineExceededError,
  isRetryTaxonomyError,
  OverloadedError,
  RetryableError,
  RetryShedError,
  TerminalError,
} from './errors.ts';
export type { RetryErrorCode, RetryTaxonomyError } from './errors.ts';
export { InvalidOptionError } from './option-checks.ts';
export { classifyByCode, retry } from './retry.ts';
export type { RetryAttempt, RetryDecision, RetryOptions } from './retry.ts';
export { RetryBudget } from './retry-budget.ts';
export type { RetryBudgetOptions } from './retry-budget.ts';
export { RetryBudgets } from './retry-budgets.ts';
export type { RetryBudgetsOptions, SharedBudgetOptions } from './retry-budgets.ts';
export type { RetryObserver } from './retry-observer.ts';
export { seededRandom } from './seeded-random.ts';
