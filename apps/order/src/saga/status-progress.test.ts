/**
 * Hunts a status order that lets a reader go back: the monotonic-read check over the order
 * statuses must flag a client that saw COMPLETED and then PENDING (issue 11), and must accept
 * every path the saga machine takes.
 */
import { describe, expect, it } from 'vitest';
import { checkMonotonicReads } from '@seamline/history-check';
import { STATUS_PROGRESS } from './saga-state.ts';

const reads = (...states: string[]) =>
  states.map((state, i) => ({ process: 'client-1', key: 'order-1', state, invoke: i }));

describe('order status progress', () => {
  it('flags a client that saw COMPLETED and then PENDING', () => {
    const result = checkMonotonicReads(reads('PENDING', 'COMPLETED', 'PENDING'), STATUS_PROGRESS);
    expect(result.verdict).toBe('violation');
    expect(result.violations[0]?.message).toMatch(/COMPLETED .* later as PENDING/);
  });

  it('flags CANCELLED turning into COMPLETED and COMPENSATING going back to PENDING', () => {
    expect(checkMonotonicReads(reads('CANCELLED', 'COMPLETED'), STATUS_PROGRESS).verdict).toBe(
      'violation',
    );
    expect(checkMonotonicReads(reads('COMPENSATING', 'PENDING'), STATUS_PROGRESS).verdict).toBe(
      'violation',
    );
  });

  it('accepts the paths the saga machine takes', () => {
    for (const path of [
      ['PENDING', 'COMPLETED'],
      ['PENDING', 'CANCELLED'],
      ['PENDING', 'COMPENSATING', 'CANCELLED'],
      ['PENDING', 'PENDING', 'COMPENSATING', 'COMPENSATING', 'CANCELLED', 'CANCELLED'],
    ]) {
      expect(checkMonotonicReads(reads(...path), STATUS_PROGRESS).verdict, path.join(' ')).toBe(
        'ok',
      );
    }
  });
});
