import { RetryBudget, type RetryBudgetOptions } from './retry-budget.ts';

/** Budget options without the name: the registry names each budget after its downstream. */
export type SharedBudgetOptions = Omit<RetryBudgetOptions, 'downstream'>;

/** Options of {@link RetryBudgets}. */
export interface RetryBudgetsOptions {
  /** Applied to every downstream unless overridden. @default {} (the RetryBudget defaults) */
  defaults?: SharedBudgetOptions;
  /** Per-downstream overrides, merged over `defaults`. @default {} */
  overrides?: Readonly<Record<string, SharedBudgetOptions>>;
}

/**
 * One budget per downstream name, shared by every caller in the process. Sharing is the
 * point: a budget per call site would let N call sites each retry 20%, multiplying the load
 * a struggling downstream sees.
 */
export class RetryBudgets {
  private readonly budgets = new Map<string, RetryBudget>();
  private readonly defaults: SharedBudgetOptions;
  private readonly overrides: Readonly<Record<string, SharedBudgetOptions>>;

  constructor(options: RetryBudgetsOptions = {}) {
    this.defaults = options.defaults ?? {};
    this.overrides = options.overrides ?? {};
    // Fail at start-up on a bad default, not at the first call to a downstream.
    new RetryBudget(this.defaults);
    for (const downstream of Object.keys(this.overrides)) this.get(downstream);
  }

  /** The budget shared by every caller of `downstream`; created on first use. */
  get(downstream: string): RetryBudget {
    let budget = this.budgets.get(downstream);
    if (budget === undefined) {
      budget = new RetryBudget({
        ...this.defaults,
        ...(this.overrides[downstream] ?? {}),
        downstream,
      });
      this.budgets.set(downstream, budget);
    }
    return budget;
  }

  /** Current balance of every known downstream; feeds the balance gauge on scrape. */
  snapshot(): { downstream: string; balance: number }[] {
    return [...this.budgets.values()].map((b) => ({
      downstream: b.downstream,
      balance: b.balance(),
    }));
  }
}
