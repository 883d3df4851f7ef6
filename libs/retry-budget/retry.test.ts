// Hunts: retrying terminal or overloaded failures, ignoring Retry-After, starting an attempt
// at or past the deadline, spending budget without recording it (or depositing per retry),
// a shed that looks like an ordinary failure, and attempts that go uncounted across layers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AttemptCounter,
  Backoff,
  DeadlineExceededError,
  OverloadedError,
  retry,
  RetryableError,
  RetryBudget,
  RetryShedError,
  seededRandom,
  TerminalError,
  type RetryAttempt,
  type RetryObserver,
} from '@seamline/retry-budget';

const seed = Number(process.env['FC_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
console.info(`[retry.test] fast-check seed=${seed} (rerun with FC_SEED=${seed})`);

/** A fake clock whose sleeper advances time instead of waiting. */
function fakeTime(start = 1_000_000) {
  const t = { now: start, slept: [] as number[] };
  return {
    t,
    clock: () => t.now,
    sleep: async (ms: number) => {
      t.slept.push(ms);
      t.now += ms;
    },
  };
}

/** Counts calls so tests can tell deposits (requests) from withdrawals (retries). */
class CountingBudget extends RetryBudget {
  deposits = 0;
  withdrawals = 0;
  override deposit(): void {
    this.deposits += 1;
    super.deposit();
  }
  override tryWithdraw(): boolean {
    this.withdrawals += 1;
    return super.tryWithdraw();
  }
}

function setup(budgetOptions: ConstructorParameters<typeof RetryBudget>[0] = {}) {
  const time = fakeTime();
  const budget = new CountingBudget({ downstream: 'payment', clock: time.clock, ...budgetOptions });
  const events: string[] = [];
  const observer: RetryObserver = {
    onAttempt: (d, n) => events.push(`attempt:${d}:${n}`),
    onRetry: (d) => events.push(`retry:${d}`),
    onShed: (d) => events.push(`shed:${d}`),
  };
  const base = {
    budget,
    clock: time.clock,
    sleep: time.sleep,
    observer,
    backoff: new Backoff({ random: seededRandom(1) }),
    deadline: time.t.now + 60_000,
  };
  return { time, budget, events, base };
}

/** fn failing with the given errors in turn, then succeeding. */
function failing(...errors: Error[]) {
  const calls: RetryAttempt[] = [];
  const fn = async (a: RetryAttempt): Promise<string> => {
    calls.push(a);
    const err = errors[calls.length - 1];
    if (err !== undefined) throw err;
    return 'ok';
  };
  return { fn, calls };
}

describe('retry', () => {
  it('runs the first attempt once and deposits once', async () => {
    const { base, budget, events } = setup();
    const { fn, calls } = failing();
    await expect(retry(fn, base)).resolves.toBe('ok');
    expect(calls.map((c) => c.attempt)).toEqual([1]);
    expect(events).toEqual(['attempt:payment:1']);
    expect([budget.deposits, budget.withdrawals]).toEqual([1, 0]);
  });

  it('deposits for the request only, and withdraws once per retry', async () => {
    const { base, budget } = setup();
    const balances: number[] = [];
    const { fn } = failing(new RetryableError('a'), new RetryableError('b'));
    await retry(fn, { ...base, observer: { onBalance: (_, b) => balances.push(b) } });
    expect(balances).toEqual([100, 99, 98]);
    expect([budget.deposits, budget.withdrawals]).toEqual([1, 2]);
    expect(budget.balance()).toBe(98);
  });

  it('retries a retryable failure after a jittered backoff and returns the result', async () => {
    const { base, time, events } = setup();
    const { fn, calls } = failing(new RetryableError('blip'), new RetryableError('blip'));
    await expect(retry(fn, base)).resolves.toBe('ok');
    expect(calls.map((c) => c.attempt)).toEqual([1, 2, 3]);
    expect(time.t.slept).toHaveLength(2);
    expect(time.t.slept[0]).toBeLessThan(50);
    expect(time.t.slept[1]).toBeLessThan(100);
    expect(events).toEqual([
      'attempt:payment:1',
      'retry:payment',
      'attempt:payment:2',
      'retry:payment',
      'attempt:payment:3',
    ]);
  });

  it('does not retry terminal or overloaded failures and rethrows them unchanged', async () => {
    for (const err of [new TerminalError('no'), new OverloadedError('busy'), new Error('?')]) {
      const { base, budget } = setup();
      const { fn, calls } = failing(err);
      await expect(retry(fn, base)).rejects.toBe(err);
      expect(calls).toHaveLength(1);
      expect(budget.balance()).toBe(100); // nothing withdrawn
    }
  });

  it('waits at least Retry-After before the next attempt', async () => {
    const { base, time } = setup();
    const { fn } = failing(new RetryableError('slow down', { retryAfterMs: 1_500 }));
    await retry(fn, base);
    expect(time.t.slept).toEqual([1_500]);
  });

  it('gives up with DeadlineExceededError when Retry-After would cross the deadline', async () => {
    const { base } = setup();
    const cause = new RetryableError('later', { retryAfterMs: 120_000 });
    const { fn, calls } = failing(cause);
    const err = await retry(fn, base).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeadlineExceededError);
    expect((err as DeadlineExceededError).code).toBe('DEADLINE_EXCEEDED');
    expect((err as DeadlineExceededError).cause).toBe(cause);
    expect(calls).toHaveLength(1);
  });

  it('never starts an attempt once the deadline has passed', async () => {
    const { base, budget, time } = setup();
    const { fn, calls } = failing();
    await expect(retry(fn, { ...base, deadline: time.t.now })).rejects.toBeInstanceOf(
      DeadlineExceededError,
    );
    expect(calls).toHaveLength(0);
    expect(budget.balance()).toBe(100);
  });

  it('stops after maxAttempts and rethrows the last failure', async () => {
    const { base } = setup();
    const errors = Array.from({ length: 9 }, (_, i) => new RetryableError(`e${i}`));
    const { fn, calls } = failing(...errors);
    await expect(retry(fn, { ...base, maxAttempts: 3 })).rejects.toBe(errors[2]);
    expect(calls).toHaveLength(3);
  });

  it('sheds with RetryShedError when the budget is empty, keeping the cause', async () => {
    const { base, events } = setup({ minRetriesPerSec: 0, percentCanRetry: 0 });
    const cause = new RetryableError('blip');
    const { fn, calls } = failing(cause);
    const err = await retry(fn, base).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryShedError);
    expect((err as RetryShedError).code).toBe('RETRY_SHED');
    expect((err as RetryShedError).downstream).toBe('payment');
    expect((err as RetryShedError).cause).toBe(cause);
    expect(calls).toHaveLength(1);
    expect(events).toEqual(['attempt:payment:1', 'shed:payment']);
  });

  it('treats a shed reported by a layer below as "do not retry here"', async () => {
    const { base } = setup();
    const below = new RetryShedError('shed below', { downstream: 'bank' });
    const { fn, calls } = failing(below);
    await expect(retry(fn, base)).rejects.toBe(below);
    expect(calls).toHaveLength(1);
  });

  it('counts attempts of one logical effect across nested layers', async () => {
    const { base } = setup();
    const counter = new AttemptCounter({ clock: base.clock });
    const key = 'saga-1:charge:do';
    let physical = 0;
    const inner = () =>
      retry(
        async () => {
          physical += 1;
          throw new RetryableError('down');
        },
        { ...base, maxAttempts: 3, attempts: { counter, key, layer: 'client' } },
      );
    const outer = retry(inner, {
      ...base,
      maxAttempts: 2,
      attempts: { counter, key, layer: 'orchestrator' },
    });
    await expect(outer).rejects.toBeInstanceOf(RetryableError);
    expect(physical).toBe(6);
    expect(counter.attemptsByLayer(key)).toEqual({ client: 6, orchestrator: 2 });
  });

  it('keeps every attempt inside the deadline and the budget for any failure pattern', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('retryable', 'slow', 'ok'), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 3_000 }),
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom(0, 0.1, 0.2, 0.3),
        fc.integer(),
        async (pattern, budgetMs, maxAttempts, minRetriesPerSec, prngSeed) => {
          // ttl longer than any deadline here, so nothing expires mid-run.
          const options = { minRetriesPerSec, ttlMs: 10_000 };
          const floor = new RetryBudget(options).balance();
          const { base, budget, time } = setup(options);
          const deadline = time.t.now + budgetMs;
          const starts: RetryAttempt[] = [];
          const fn = async (a: RetryAttempt) => {
            starts.push(a);
            const outcome = pattern[Math.min(a.attempt - 1, pattern.length - 1)];
            if (outcome === 'ok') return 'ok';
            throw new RetryableError(outcome as string, {
              ...(outcome === 'slow' ? { retryAfterMs: 700 } : {}),
            });
          };
          const result = await retry(fn, {
            ...base,
            backoff: new Backoff({ random: seededRandom(prngSeed) }),
            deadline,
            maxAttempts,
          }).catch((e: unknown) => e);

          expect(starts.length).toBeLessThanOrEqual(maxAttempts);
          for (const s of starts) expect(s.remainingMs).toBeGreaterThan(0);
          // Every retry that ran was paid for, and only the request deposited.
          expect(budget.deposits).toBe(starts.length > 0 ? 1 : 0);
          expect(budget.balance()).toBeCloseTo(floor - Math.max(0, starts.length - 1), 6);
          if (result === 'ok') expect(starts.length).toBeGreaterThan(0);
          else if (starts.length === maxAttempts) expect(result).toBeInstanceOf(RetryableError);
          else
            expect(result).toSatisfy(
              (e: unknown) => e instanceof DeadlineExceededError || e instanceof RetryShedError,
            );
        },
      ),
      { seed },
    );
  });
});
