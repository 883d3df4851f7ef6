/**
 * Hunts inventory decision bugs: a partial reservation (some items taken when one is short),
 * stock going negative, a reservation after its release (the release-first tombstone ignored),
 * a release returning other quantities than were reserved, and stock created or destroyed by
 * any order of reserve and release deliveries.
 */
import fc from 'fast-check';
import type { LineItem, ReserveCommand } from '@seamline/contracts';
import type { RecordChange } from '@seamline/idempotency';
import { describe, expect, it } from 'vitest';
import type { Reservation, Stock } from './inventory-records.ts';
import { inventoryKey } from './inventory-records.ts';
import { decideRelease, decideReserve } from './reservation-decision.ts';

const seed = Number(process.env['SEAMLINE_SEED'] ?? Date.now() % 2 ** 31);
const SKUS = ['a', 'b', 'c'];

/** Applies decisions in delivery order, as the single writer would. */
class Shelf {
  readonly records = new Map<string, unknown>();
  constructor(stock: Record<string, number>) {
    for (const [sku, n] of Object.entries(stock)) {
      this.records.set(inventoryKey.stock(sku), { sku, available: n, initial: n } satisfies Stock);
    }
  }
  available(sku: string): number | undefined {
    return (this.records.get(inventoryKey.stock(sku)) as Stock | undefined)?.available;
  }
  get reservation(): Reservation | undefined {
    return this.records.get(inventoryKey.reservation('o')) as Reservation | undefined;
  }
  private view(items: readonly LineItem[]) {
    const stock = new Map<string, Stock | undefined>();
    for (const { sku } of items)
      stock.set(sku, this.records.get(inventoryKey.stock(sku)) as Stock | undefined);
    return { stock, reservation: this.reservation };
  }
  private apply(writes: readonly RecordChange[]): void {
    for (const w of writes) this.records.set(w.key, w.value);
  }
  reserve(items: LineItem[]) {
    const d = decideReserve({ orderId: 'o', items }, 's:reserve:reserve', this.view(items));
    this.apply(d.writes);
    return d.result;
  }
  release(items: LineItem[]) {
    const d = decideRelease({ orderId: 'o', items }, 's:reserve:release', this.view(items));
    this.apply(d.writes);
    return d.result;
  }
}

const items = fc.array(
  fc.record({ sku: fc.constantFrom(...SKUS), qty: fc.integer({ min: 1, max: 6 }) }),
  {
    minLength: 1,
    maxLength: 4,
  },
);
const stockLevels = fc.record({ a: fc.nat(10), b: fc.nat(10), c: fc.nat(10) });

describe('reserve decision', () => {
  it(`takes all items or none and never drives stock negative (seed ${seed})`, () => {
    fc.assert(
      fc.property(stockLevels, items, (levels, order) => {
        const shelf = new Shelf(levels);
        const result = shelf.reserve(order);
        const wanted = new Map<string, number>();
        for (const i of order) wanted.set(i.sku, (wanted.get(i.sku) ?? 0) + i.qty);
        const fits = [...wanted].every(([sku, qty]) => levels[sku as 'a'] >= qty);
        expect(result.outcome).toBe(fits ? 'reserved' : 'declined');
        for (const sku of SKUS) {
          const expected = fits ? levels[sku as 'a'] - (wanted.get(sku) ?? 0) : levels[sku as 'a'];
          expect(shelf.available(sku)).toBe(expected);
          expect(shelf.available(sku)).toBeGreaterThanOrEqual(0);
        }
        if (!fits) expect(shelf.reservation).toBeUndefined();
      }),
      { seed },
    );
  });

  it('declines an unknown sku by name and reserves nothing', () => {
    const shelf = new Shelf({ a: 5 });
    const cmd: ReserveCommand = {
      orderId: 'o',
      items: [
        { sku: 'a', qty: 1 },
        { sku: 'zz', qty: 1 },
      ],
    };
    expect(shelf.reserve(cmd.items)).toEqual({
      outcome: 'declined',
      reason: 'OUT_OF_STOCK',
      sku: 'zz',
    });
    expect(shelf.available('a')).toBe(5);
  });
});

describe('reserve and release in any delivery order', () => {
  it(`never reserve after a release and give back exactly what was taken (seed ${seed})`, () => {
    fc.assert(
      fc.property(
        stockLevels,
        items,
        fc.array(fc.constantFrom('reserve', 'release'), { minLength: 1, maxLength: 6 }),
        (levels, order, events) => {
          const shelf = new Shelf(levels);
          let releaseSeen = false;
          for (const e of events) {
            if (e === 'reserve') {
              const r = shelf.reserve(order);
              if (releaseSeen)
                expect(r).toMatchObject({ outcome: 'declined', reason: 'ALREADY_RELEASED' });
            } else {
              releaseSeen = true;
              shelf.release(order);
            }
          }
          const held = shelf.reservation?.state === 'reserved';
          for (const sku of SKUS) {
            const taken = held
              ? order.filter((i) => i.sku === sku).reduce((n, i) => n + i.qty, 0)
              : 0;
            expect(shelf.available(sku)).toBe(levels[sku as 'a'] - taken);
          }
        },
      ),
      { seed },
    );
  });

  it('leaves a release-first tombstone that makes a late reserve decline', () => {
    const shelf = new Shelf({ a: 5 });
    expect(shelf.release([{ sku: 'a', qty: 2 }])).toEqual({ outcome: 'nothing-to-release' });
    expect(shelf.reserve([{ sku: 'a', qty: 2 }])).toEqual({
      outcome: 'declined',
      reason: 'ALREADY_RELEASED',
      sku: 'a',
    });
    expect(shelf.available('a')).toBe(5);
  });
});
