/**
 * Metric hooks of the retry executor. Kept as plain callbacks so this lib does not depend
 * on a metrics client; the observability wiring maps them to
 * `seamline_retries_attempted_total{downstream}` (onRetry),
 * `seamline_retries_shed_total{downstream}` (onShed) and
 * `seamline_retry_budget_balance{downstream}` (onBalance).
 * Hooks must not throw; a throwing hook is ignored so metrics never change control flow.
 */
export interface RetryObserver {
  /** An attempt is about to start (1 = first attempt). */
  onAttempt?(downstream: string, attempt: number): void;
  /** A retry was granted by the budget and will run after its backoff. */
  onRetry?(downstream: string): void;
  /** A retry was refused because the budget is empty. */
  onShed?(downstream: string): void;
  /** The budget balance after a deposit or withdrawal. */
  onBalance?(downstream: string, balance: number): void;
}

type Hook = keyof RetryObserver;

export function notify<H extends Hook>(
  observer: RetryObserver | undefined,
  hook: H,
  ...args: Parameters<NonNullable<RetryObserver[H]>>
): void {
  const fn = observer?.[hook] as ((...a: unknown[]) => void) | undefined;
  if (fn === undefined) return;
  try {
    fn.apply(observer, args);
  } catch {
    // Deliberately ignored: see the interface comment.
  }
}
