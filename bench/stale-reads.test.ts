/**
 * Hunts bugs in the stale-read accounting that would make the consistency-swap bench lie: a
 * read counted stale because of a write acknowledged while it was in flight, a newer
 * (unacknowledged) version counted stale, a missing record after an acknowledged write counted
 * fresh, and the ledger forgetting a newer acknowledgement when an older one arrives late.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareVersions } from '@seamline/quorum-store';
import { StaleReadLedger, isStale } from './stale-reads.ts';

const v = (seq: number, fence = 1) => ({ fence, seq });

describe('a read', () => {
  it('is never stale before any write of its sku was acknowledged', () => {
    const ledger = new StaleReadLedger();
    expect(isStale(ledger.floor('sku-1'), undefined)).toBe(false);
    expect(isStale(ledger.floor('sku-1'), v(1))).toBe(false);
  });

  it('is stale when it returns an older version than the last acknowledged write', () => {
    const ledger = new StaleReadLedger();
    ledger.acknowledge('sku-1', v(3), 2);
    expect(isStale(ledger.floor('sku-1'), v(2))).toBe(true);
    expect(isStale(ledger.floor('sku-1'), v(3))).toBe(false);
  });

  it('is stale when it finds no record although a write of it was acknowledged', () => {
    const ledger = new StaleReadLedger();
    ledger.acknowledge('sku-1', v(1), 0);
    expect(isStale(ledger.floor('sku-1'), undefined)).toBe(true);
  });

  it('is fresh when it returns a newer version no write acknowledged (an indeterminate one)', () => {
    const ledger = new StaleReadLedger();
    ledger.acknowledge('sku-1', v(3), 1);
    expect(isStale(ledger.floor('sku-1'), v(4))).toBe(false);
  });

  it('is judged against the floor taken when it started, not a write acknowledged during it', () => {
    const ledger = new StaleReadLedger();
    ledger.acknowledge('sku-1', v(3), 1);
    const floor = ledger.floor('sku-1');
    ledger.acknowledge('sku-1', v(4), 1);
    expect(isStale(floor, v(3))).toBe(false);
    expect(isStale(ledger.floor('sku-1'), v(3))).toBe(true);
  });

  it('is judged per sku', () => {
    const ledger = new StaleReadLedger();
    ledger.acknowledge('sku-1', v(5), 1);
    expect(isStale(ledger.floor('sku-2'), v(1))).toBe(false);
  });

  it('counts a higher fence as newer whatever the sequence', () => {
    const ledger = new StaleReadLedger();
    ledger.acknowledge('sku-1', v(1, 2), 1);
    expect(isStale(ledger.floor('sku-1'), v(9, 1))).toBe(true);
  });
});

describe('the ledger', () => {
  it('keeps the newest acknowledged version whatever order acknowledgements arrive in', () => {
    const version = fc.record({ fence: fc.integer({ min: 1, max: 3 }), seq: fc.nat(20) });
    fc.assert(
      fc.property(fc.array(version, { minLength: 1 }), version, (acks, seen) => {
        const ledger = new StaleReadLedger();
        for (const a of acks) ledger.acknowledge('sku-1', a, 0);
        const newest = acks.reduce((m, a) => (compareVersions(a, m) > 0 ? a : m));
        expect(isStale(ledger.floor('sku-1'), seen)).toBe(compareVersions(seen, newest) < 0);
      }),
    );
  });

  it('adds up the units every acknowledged reserve took from a sku', () => {
    const ledger = new StaleReadLedger();
    ledger.acknowledge('sku-1', v(1), 0);
    ledger.acknowledge('sku-1', v(2), 3);
    ledger.acknowledge('sku-1', v(3), 2);
    expect(ledger.acknowledgedUnits('sku-1')).toBe(5);
    expect(ledger.acknowledgedUnits('sku-2')).toBe(0);
  });
});
