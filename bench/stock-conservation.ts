/**
 * After a mode's run, with every replica back: does the stock on the replicas account for every
 * acknowledged reserve (design brief, invariant 2, "stock is conserved")? Reads each replica
 * separately, so it also sees what a quorum read hides:
 * - a lost decrement: a reserve was acknowledged but the newest record does not include it (the
 *   reserve decided on a stale read and wrote a version the replicas already held);
 * - a fork: two replicas hold the SAME version of a sku with different stock. Versions decide
 *   every repair, so neither read repair nor anti-entropy will ever reconcile it.
 */
import type { Version } from '@seamline/quorum-store';
import { compareVersions } from '@seamline/quorum-store';

export interface StockCopy {
  readonly version: Version;
  readonly available: number;
}

/** One replica's copy of every sku's stock record (a missing sku has no record there). */
export interface ReplicaStock {
  readonly replica: string;
  readonly stock: ReadonlyMap<string, StockCopy>;
}

export interface StockAudit {
  /** Units taken by acknowledged reserves. */
  readonly acknowledgedUnits: number;
  /** Units missing from the newest record of each sku (initial minus available). */
  readonly appliedUnits: number;
  /** Acknowledged units the newest records do not show: oversell waiting to happen. */
  readonly lostUnits: number;
  /** Units applied beyond acknowledged plus in-doubt ones (should be 0; a bug if not). */
  readonly unexplainedUnits: number;
  /** Skus with two replicas holding one version with different stock. */
  readonly forkedSkus: number;
  /** Skus not every replica holds at its newest version (repair would fix these). */
  readonly divergentSkus: number;
}

export interface StockLedgerView {
  /** Units acknowledged reserves took from `sku`. */
  acknowledgedUnits(sku: string): number;
  /** Units of writes of `sku` whose outcome stayed indeterminate (may or may not have applied). */
  inDoubtUnits(sku: string): number;
}

export function auditStock(
  skus: readonly string[],
  initialUnits: number,
  replicas: readonly ReplicaStock[],
  ledger: StockLedgerView,
): StockAudit {
  let acknowledgedUnits = 0;
  let appliedUnits = 0;
  let lostUnits = 0;
  let unexplainedUnits = 0;
  let forkedSkus = 0;
  let divergentSkus = 0;
  for (const sku of skus) {
    const copies = replicas.map((r) => r.stock.get(sku));
    let newest: StockCopy | undefined;
    for (const c of copies) {
      if (
        c !== undefined &&
        (newest === undefined || compareVersions(c.version, newest.version) > 0)
      )
        newest = c;
    }
    if (copies.some((c) => c === undefined || compareVersions(c.version, newest!.version) < 0))
      divergentSkus += 1;
    if (hasFork(copies)) forkedSkus += 1;
    const acked = ledger.acknowledgedUnits(sku);
    const applied = newest === undefined ? 0 : initialUnits - newest.available;
    acknowledgedUnits += acked;
    appliedUnits += applied;
    lostUnits += Math.max(0, acked - applied);
    unexplainedUnits += Math.max(0, applied - acked - ledger.inDoubtUnits(sku));
  }
  return {
    acknowledgedUnits,
    appliedUnits,
    lostUnits,
    unexplainedUnits,
    forkedSkus,
    divergentSkus,
  };
}

function hasFork(copies: readonly (StockCopy | undefined)[]): boolean {
  const held = copies.filter((c): c is StockCopy => c !== undefined);
  return held.some((a, i) =>
    held
      .slice(i + 1)
      .some((b) => compareVersions(a.version, b.version) === 0 && a.available !== b.available),
  );
}
