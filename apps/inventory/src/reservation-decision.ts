/**
 * The inventory decisions, pure: all items or none, decided once by the domain's single writer
 * and replicated as data.
 *
 *   reserve: release-first | released ──► declined ALREADY_RELEASED (nothing written)
 *            reserved (other key)      ──► reserved, nothing written (the order holds stock once)
 *            any sku unknown or short  ──► declined OUT_OF_STOCK naming it (nothing written)
 *            otherwise                 ──► take every item, ledger reserve entry, reserved
 *   release: reserved                  ──► return the RESERVED items, ledger release, released
 *            released                  ──► released, nothing written
 *            release-first             ──► nothing-to-release, nothing written
 *            no reservation            ──► reservation release-first (tombstone), nothing-to-release
 */
import type {
  ReleaseCommand,
  ReleaseResult,
  ReserveCommand,
  ReserveResult,
} from '@seamline/contracts';
import type { Decision, RecordChange } from '@seamline/idempotency';
import type { LedgerEntry, Reservation, Stock } from './inventory-records.ts';
import { inventoryKey, unitsBySku } from './inventory-records.ts';

export interface InventoryView {
  /** Every sku the command names (a missing one is absent from the map or undefined). */
  readonly stock: ReadonlyMap<string, Stock | undefined>;
  readonly reservation: Reservation | undefined;
}

/** State that cannot arise from the protocol; terminal, a human must look. */
export class InventoryStateError extends Error {
  readonly code = 'INVENTORY_STATE_INVALID';
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'InventoryStateError';
  }
}

export function decideReserve(
  cmd: ReserveCommand,
  effectKey: string,
  view: InventoryView,
): Decision<ReserveResult> {
  const state = view.reservation?.state;
  const firstSku = cmd.items[0]?.sku ?? '';
  if (state === 'release-first' || state === 'released') {
    return {
      writes: [],
      result: { outcome: 'declined', reason: 'ALREADY_RELEASED', sku: firstSku },
    };
  }
  if (state === 'reserved') return { writes: [], result: { outcome: 'reserved' } };
  const wanted = unitsBySku(cmd.items);
  const writes: RecordChange[] = [];
  for (const [sku, qty] of wanted) {
    const stock = view.stock.get(sku);
    if (stock === undefined || stock.available < qty) {
      return { writes: [], result: { outcome: 'declined', reason: 'OUT_OF_STOCK', sku } };
    }
    writes.push({
      key: inventoryKey.stock(sku),
      value: { ...stock, available: stock.available - qty },
    });
  }
  const entry: LedgerEntry = { kind: 'reserve', orderId: cmd.orderId, items: cmd.items };
  writes.push(
    { key: inventoryKey.ledger(effectKey), value: entry },
    {
      key: inventoryKey.reservation(cmd.orderId),
      value: { state: 'reserved', items: cmd.items } satisfies Reservation,
    },
  );
  return { writes, result: { outcome: 'reserved' } };
}

export function decideRelease(
  cmd: ReleaseCommand,
  effectKey: string,
  view: InventoryView,
): Decision<ReleaseResult> {
  const reservation = view.reservation;
  if (reservation?.state === 'released') return { writes: [], result: { outcome: 'released' } };
  if (reservation?.state === 'release-first')
    return { writes: [], result: { outcome: 'nothing-to-release' } };
  if (reservation === undefined) {
    return {
      writes: [
        {
          key: inventoryKey.reservation(cmd.orderId),
          value: { state: 'release-first', items: cmd.items } satisfies Reservation,
        },
      ],
      result: { outcome: 'nothing-to-release' },
    };
  }
  // Give back what was reserved, not what the release names: the reservation is the truth.
  const writes: RecordChange[] = [];
  for (const [sku, qty] of unitsBySku(reservation.items)) {
    if (!view.stock.has(sku)) {
      throw new InventoryStateError(`release of ${cmd.orderId} does not name reserved sku ${sku}`);
    }
    const stock = view.stock.get(sku);
    if (stock === undefined)
      throw new InventoryStateError(`reserved sku ${sku} has no stock record`);
    writes.push({
      key: inventoryKey.stock(sku),
      value: { ...stock, available: stock.available + qty },
    });
  }
  const entry: LedgerEntry = { kind: 'release', orderId: cmd.orderId, items: reservation.items };
  writes.push(
    { key: inventoryKey.ledger(effectKey), value: entry },
    {
      key: inventoryKey.reservation(cmd.orderId),
      value: { state: 'released', items: reservation.items } satisfies Reservation,
    },
  );
  return { writes, result: { outcome: 'released' } };
}
