import type { VersionedRecord } from './quorum-decision.ts';
import type { TombstoneRow } from './replica-sql.ts';
import { compareVersions } from './version.ts';

/**
 * When a tombstone may be physically removed (ADR 0017). A delete is written as a tombstone, a
 * version like any other, so repair and anti-entropy carry it to every replica and no stale copy
 * of the record can win against it. Removing the tombstone is safe only once no replica can
 * offer anything it beats: every replica of the store (all N, not a quorum) answered and holds
 * the key as a tombstone at the same version. Then there is no older live copy left to resurrect
 * and no newer write to lose; a replica that is down, or that holds anything else, keeps the
 * tombstone everywhere until a later pass.
 *
 * The grace period the candidates are older than (checked by the replica) covers what is still
 * in flight when the tombstone is written: a read-repair started from a live copy read just
 * before, or a late write of the record's own (fenced) writer.
 */
export function purgeableTombstones(
  candidates: readonly TombstoneRow[],
  held: ReadonlyMap<string, ReadonlyMap<string, VersionedRecord>>,
  replicaCount: number,
): TombstoneRow[] {
  if (held.size < replicaCount) return [];
  const out: TombstoneRow[] = [];
  const seen = new Set<string>();
  for (const c of candidates) {
    if (seen.has(c.key)) continue;
    seen.add(c.key);
    let version: TombstoneRow['version'] | undefined;
    let everywhere = true;
    for (const records of held.values()) {
      const rec = records.get(c.key);
      if (rec === undefined || rec.deleted !== true) {
        everywhere = false;
        break;
      }
      if (version === undefined) version = rec.version;
      else if (compareVersions(version, rec.version) !== 0) {
        everywhere = false;
        break;
      }
    }
    if (everywhere && version !== undefined) out.push({ key: c.key, version });
  }
  return out;
}
