/**
 * Stale-read accounting for the consistency-swap bench. A read is stale when it returns an older
 * version of a sku's stock record than the last write of that sku acknowledged BEFORE the read
 * started (a write acknowledged while the read was in flight may or may not be seen). Quorum
 * visibility (design brief, invariant 4) says this never happens with R + W > N.
 *
 * The ledger also remembers how many units every acknowledged reserve took from each sku, so the
 * stock left on the replicas can be checked against it afterwards (stock-conservation.ts).
 */
import type { Version } from '@seamline/quorum-store';
import { compareVersions } from '@seamline/quorum-store';

/** What a read must see at least: the newest acknowledged version when it started. */
export interface ReadFloor {
  readonly sku: string;
  readonly version: Version | undefined;
}

export class StaleReadLedger {
  private readonly acked = new Map<string, Version>();
  private readonly units = new Map<string, number>();

  /** Records an acknowledged write of `sku` at `version` that took `units` from its stock. */
  acknowledge(sku: string, version: Version, units: number): void {
    const known = this.acked.get(sku);
    if (known === undefined || compareVersions(version, known) > 0) this.acked.set(sku, version);
    this.units.set(sku, (this.units.get(sku) ?? 0) + units);
  }

  /** Call as a read starts; pass the result to {@link isStale} with what the read returned. */
  floor(sku: string): ReadFloor {
    return { sku, version: this.acked.get(sku) };
  }

  /** Units that acknowledged reserves took from `sku`. */
  acknowledgedUnits(sku: string): number {
    return this.units.get(sku) ?? 0;
  }
}

/**
 * True when `seen` (undefined: no record) is older than the floor. A missing record is stale
 * once any write of it was acknowledged; anything at or above the floor is fresh, including a
 * newer version from a write that was never acknowledged (an indeterminate one that applied).
 */
export function isStale(floor: ReadFloor, seen: Version | undefined): boolean {
  if (floor.version === undefined) return false;
  if (seen === undefined) return true;
  return compareVersions(seen, floor.version) < 0;
}
