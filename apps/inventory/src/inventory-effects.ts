import type {
  ReleaseCommand,
  ReleaseResult,
  ReserveCommand,
  ReserveResult,
} from '@seamline/contracts';
import { releaseResult, reserveResult } from '@seamline/contracts';
import type { StartGate } from '@seamline/effect-service';
import type { EffectOutcome, IdempotentEffects, Snapshot } from '@seamline/idempotency';
import { CorruptRecordError } from '@seamline/idempotency';
import { z } from 'zod';
import type { Items, Stock } from './inventory-records.ts';
import {
  INVENTORY_DOMAIN,
  inventoryKey,
  reservationRecord,
  stockRecord,
  unitsBySku,
} from './inventory-records.ts';
import type { InventoryView } from './reservation-decision.ts';
import { decideRelease, decideReserve } from './reservation-decision.ts';

/**
 * The contract's `reserveResult` is a discriminated union with two `declined` members, which
 * zod refuses at parse time; the same members as a plain union parse (and mean) the same.
 */
const storedReserveResult: z.ZodType<ReserveResult> = z.union(reserveResult.options);

/**
 * The two inventory use cases on top of the idempotent effect writer. Each locks every sku it
 * names (the writer takes locks in sorted order, so two orders sharing skus cannot deadlock) plus
 * the order's reservation, reads them in one quorum read and writes one batch.
 */
export class InventoryEffects {
  constructor(private readonly effects: IdempotentEffects) {}

  reserve(
    key: string,
    cmd: ReserveCommand,
    gate: StartGate = ALWAYS,
  ): Promise<EffectOutcome<ReserveResult>> {
    const keys = recordKeys(key, cmd.orderId, cmd.items);
    return this.effects.run({
      mayStart: gate.mayStart,
      key,
      operation: 'reserve',
      payload: cmd,
      keys,
      result: storedReserveResult,
      decide: (snap) => decideReserve(cmd, key, view(snap, cmd.orderId, cmd.items)),
    });
  }

  release(
    key: string,
    cmd: ReleaseCommand,
    gate: StartGate = ALWAYS,
  ): Promise<EffectOutcome<ReleaseResult>> {
    const keys = recordKeys(key, cmd.orderId, cmd.items);
    return this.effects.run({
      mayStart: gate.mayStart,
      key,
      operation: 'release',
      payload: cmd,
      keys,
      result: releaseResult,
      decide: (snap) => decideRelease(cmd, key, view(snap, cmd.orderId, cmd.items)),
    });
  }
}

/** Callers outside the bus (seed, tests) have no deadline. */
const ALWAYS: StartGate = { mayStart: () => true };

function recordKeys(key: string, orderId: string, items: Items): string[] {
  return [
    ...[...unitsBySku(items).keys()].map(inventoryKey.stock),
    inventoryKey.reservation(orderId),
    inventoryKey.ledger(key),
  ];
}

function view(snapshot: Snapshot, orderId: string, items: Items): InventoryView {
  const stock = new Map<string, Stock | undefined>();
  for (const sku of unitsBySku(items).keys())
    stock.set(sku, parse(snapshot, inventoryKey.stock(sku), stockRecord));
  return {
    stock,
    reservation: parse(snapshot, inventoryKey.reservation(orderId), reservationRecord),
  };
}

function parse<T>(snapshot: Snapshot, key: string, schema: z.ZodType<T>): T | undefined {
  const value = snapshot.get(key)?.value;
  if (value === undefined) return undefined;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new CorruptRecordError(INVENTORY_DOMAIN, key, parsed.error.message);
  return parsed.data;
}
