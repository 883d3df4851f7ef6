/**
 * Hunts a gap between what the order edge admits and what the bus can carry (issue 9, hole 4):
 * the edge accepted totals up to 1e16 cents while the command contract caps amounts at 2^53 - 1,
 * so an accepted order could have commands that can never be built. Also hunts a limit that
 * refuses what it should admit (the boundary itself) or names no field.
 */
import fc from 'fast-check';
import { ORDER_LIMITS, PATTERNS } from '@seamline/contracts';
import { describe, expect, it } from 'vitest';
import type { ProblemError } from './problem.ts';
import { parsePlaceOrder, preferredWaitMs } from './order-request.ts';
import { commandFor } from '../orchestrator/saga-commands.ts';
import { startSaga } from '../saga/saga-machine.ts';

const body = (items: { sku: string; qty: number; unitPriceCents: number }[]) => ({
  customerId: 'cust-1',
  items,
  currency: 'USD',
});

function refusal(input: unknown): ProblemError {
  try {
    parsePlaceOrder(input);
  } catch (err) {
    return err as ProblemError;
  }
  throw new Error('accepted');
}

describe('hole 4: order limits at the HTTP edge', () => {
  it('refuses the reported order (100 lines of 950,000 units at 1e8 cents) with 400 naming items', () => {
    const lines = Array.from({ length: 100 }, (_, i) => ({
      sku: `sku-${i}`,
      qty: 950_000,
      unitPriceCents: 100_000_000,
    }));
    const err = refusal(body(lines));
    expect(err.status).toBe(400);
    expect(err.errors).toEqual([
      {
        field: 'items',
        message: `the order total (qty x unitPriceCents) is 9500000000000000 cents; at most ${Number.MAX_SAFE_INTEGER} cents`,
      },
    ]);
  });

  it('admits a total of exactly the limit and refuses one cent more', () => {
    // 90 lines at the qty and price limits: 9e15; one more line brings it to the limit exactly.
    const full = Array.from({ length: 90 }, (_, i) => ({
      sku: `sku-${i}`,
      qty: ORDER_LIMITS.maxQty,
      unitPriceCents: ORDER_LIMITS.maxUnitPriceCents,
    }));
    const rest = ORDER_LIMITS.maxCents - 90 * ORDER_LIMITS.maxQty * ORDER_LIMITS.maxUnitPriceCents;
    expect(rest).toBe(7_199_254_740_991);
    // rest = 71,992 units at 100,000,000 cents + 54,740,991 cents
    const atLimit = [
      ...full,
      { sku: 'sku-a', qty: 71_992, unitPriceCents: 100_000_000 },
      { sku: 'sku-b', qty: 1, unitPriceCents: 54_740_991 },
    ];
    expect(parsePlaceOrder(body(atLimit)).items).toHaveLength(92);
    const over = [...atLimit, { sku: 'sku-c', qty: 1, unitPriceCents: 1 }];
    expect(refusal(body(over)).errors[0]?.field).toBe('items');
  });

  it('names the field of each per-line limit', () => {
    expect(refusal(body([{ sku: 's', qty: 1_000_001, unitPriceCents: 1 }])).errors[0]?.field).toBe(
      'items[0].qty',
    );
    expect(
      refusal(body([{ sku: 's', qty: 1, unitPriceCents: 100_000_001 }])).errors[0]?.field,
    ).toBe('items[0].unitPriceCents');
    const lines = Array.from({ length: 101 }, () => ({ sku: 's', qty: 1, unitPriceCents: 1 }));
    expect(refusal(body(lines)).errors[0]?.field).toBe('items');
  });

  it('admits only orders whose every command the bus contract accepts (the limits cannot drift apart)', () => {
    // Long orders of lines near the qty and price limits straddle the total limit (about 91
    // such lines reach 2^53): a gap between the edge's limits and the bus contract's shows there.
    const sku = fc.constantFrom('sku-1', 'sku-2', 'sku-3');
    const nearLimits = fc.record({
      sku,
      qty: fc.integer({ min: ORDER_LIMITS.maxQty - 20_000, max: ORDER_LIMITS.maxQty }),
      unitPriceCents: fc.integer({
        min: ORDER_LIMITS.maxUnitPriceCents - 2_000_000,
        max: ORDER_LIMITS.maxUnitPriceCents,
      }),
    });
    const anyLine = fc.record({
      sku,
      qty: fc.integer({ min: 1, max: ORDER_LIMITS.maxQty }),
      unitPriceCents: fc.integer({ min: 0, max: ORDER_LIMITS.maxUnitPriceCents }),
    });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(nearLimits, { minLength: 85, maxLength: ORDER_LIMITS.maxLines, size: 'max' }),
          fc.array(anyLine, { minLength: 1, maxLength: ORDER_LIMITS.maxLines }),
        ),
        (items) => {
          let parsed;
          try {
            parsed = parsePlaceOrder(body(items));
          } catch {
            return; // refused at the edge: nothing reaches the bus
          }
          const { saga } = startSaga({ orderId: 'ord-1', ...parsed, deadline: 1_000 }, 0);
          for (const action of Object.keys(PATTERNS) as (keyof typeof PATTERNS)[])
            expect(() => commandFor(saga, action, 0, 30_000)).not.toThrow();
        },
      ),
      // A counterexample is a long order; shrinking it line by line takes minutes and adds nothing.
      { numRuns: 300, endOnFailure: true },
    );
  });
});

describe('Prefer: wait=N (RFC 7240)', () => {
  it('reads the wait in seconds among other preferences and headers', () => {
    expect(preferredWaitMs('wait=5')).toBe(5_000);
    expect(preferredWaitMs('respond-async, wait=10')).toBe(10_000);
    expect(preferredWaitMs(['handling=lenient', 'WAIT = "3"'])).toBe(3_000);
  });

  it('caps the wait as a long-poll is capped, and ignores what it cannot read', () => {
    expect(preferredWaitMs('wait=3600')).toBe(30_000);
    expect(preferredWaitMs(undefined)).toBe(0);
    expect(preferredWaitMs('wait=soon')).toBe(0);
    expect(preferredWaitMs('wait=-1')).toBe(0);
    expect(preferredWaitMs('respond-async')).toBe(0);
  });
});
