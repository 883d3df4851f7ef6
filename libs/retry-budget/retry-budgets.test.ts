// Hunts: two callers of one downstream getting separate budgets (which multiplies retries),
// and overrides that are ignored or validated too late.
import { describe, expect, it } from 'vitest';
import { RetryBudgets } from '@seamline/retry-budget';

describe('RetryBudgets', () => {
  it('hands every caller of a downstream the same budget', () => {
    const budgets = new RetryBudgets();
    expect(budgets.get('payment')).toBe(budgets.get('payment'));
    expect(budgets.get('payment')).not.toBe(budgets.get('inventory'));
    expect(budgets.get('payment').downstream).toBe('payment');
  });

  it('spending through one caller is visible to the others', () => {
    const now = 0;
    const budgets = new RetryBudgets({ defaults: { clock: () => now, minRetriesPerSec: 1 } });
    const callerA = budgets.get('payment');
    const callerB = budgets.get('payment');
    for (let i = 0; i < 10; i++) expect(callerA.tryWithdraw()).toBe(true);
    expect(callerB.tryWithdraw()).toBe(false);
  });

  it('merges per-downstream overrides over the defaults', () => {
    const budgets = new RetryBudgets({
      defaults: { percentCanRetry: 0.1, ttlMs: 5_000 },
      overrides: { payment: { percentCanRetry: 0.5 } },
    });
    expect(budgets.get('payment').percentCanRetry).toBe(0.5);
    expect(budgets.get('payment').ttlMs).toBe(5_000);
    expect(budgets.get('inventory').percentCanRetry).toBe(0.1);
  });

  it('rejects a bad override at construction, naming the field', () => {
    expect(() => new RetryBudgets({ overrides: { payment: { ttlMs: -1 } } })).toThrow(/ttlMs/);
  });

  it('reports a balance per known downstream', () => {
    const budgets = new RetryBudgets({ defaults: { clock: () => 0 } });
    budgets.get('payment').tryWithdraw();
    budgets.get('inventory');
    expect(budgets.snapshot()).toEqual([
      { downstream: 'payment', balance: 99 },
      { downstream: 'inventory', balance: 100 },
    ]);
  });
});
