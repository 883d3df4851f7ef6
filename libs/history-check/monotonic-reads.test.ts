/**
 * Hunts monotonic-read check bugs with the order API's status machine: a client that saw
 * COMPLETED and then PENDING passing, a switch between two terminal states passing, and the
 * opposite, forward progress (including skipped states) or other clients' reads flagged.
 */
import { describe, expect, it } from 'vitest';
import type { Observation } from '@seamline/history-check';
import { checkMonotonicReads } from '@seamline/history-check';

const ORDER_STATUS = {
  PENDING: ['COMPENSATING', 'COMPLETED', 'CANCELLED'],
  COMPENSATING: ['CANCELLED'],
  COMPLETED: [],
  CANCELLED: [],
} as const;

let t = 0;
const saw = (process: string, state: string, key = 'order-1'): Observation => ({
  process,
  key,
  state,
  invoke: ++t,
});

describe('monotonic reads per client', () => {
  it('flags a client that saw COMPLETED and then PENDING', () => {
    const result = checkMonotonicReads(
      [saw('c1', 'PENDING'), saw('c1', 'COMPLETED'), saw('c1', 'PENDING')],
      ORDER_STATUS,
    );
    expect(result.verdict).toBe('violation');
    expect(result.violations[0]).toMatchObject({
      earlier: { state: 'COMPLETED' },
      later: { state: 'PENDING' },
    });
  });

  it('flags a terminal status that changes into another terminal status', () => {
    expect(
      checkMonotonicReads([saw('c1', 'CANCELLED'), saw('c1', 'COMPLETED')], ORDER_STATUS).verdict,
    ).toBe('violation');
  });

  it('flags going back from COMPENSATING to PENDING', () => {
    expect(
      checkMonotonicReads([saw('c1', 'COMPENSATING'), saw('c1', 'PENDING')], ORDER_STATUS).verdict,
    ).toBe('violation');
  });

  it('passes forward progress, repeated reads and skipped states', () => {
    const result = checkMonotonicReads(
      [
        saw('c1', 'PENDING'),
        saw('c1', 'PENDING'),
        saw('c1', 'CANCELLED'),
        saw('c2', 'PENDING'),
        saw('c2', 'COMPENSATING'),
      ],
      ORDER_STATUS,
    );
    expect(result).toMatchObject({ verdict: 'ok', observations: 5 });
  });

  it('does not compare different clients or different orders', () => {
    const result = checkMonotonicReads(
      [saw('c1', 'COMPLETED'), saw('c2', 'PENDING'), saw('c1', 'PENDING', 'order-2')],
      ORDER_STATUS,
    );
    expect(result.verdict).toBe('ok');
  });

  it('keeps comparing against the furthest status after a violation', () => {
    const result = checkMonotonicReads(
      [saw('c1', 'COMPLETED'), saw('c1', 'PENDING'), saw('c1', 'PENDING')],
      ORDER_STATUS,
    );
    expect(result.violations).toHaveLength(2);
  });
});
