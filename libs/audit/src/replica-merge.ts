import { canonicalJson } from '@seamline/contracts';
import type { Version } from '@seamline/quorum-store';
import { compareVersions, formatVersion } from '@seamline/quorum-store';

/**
 * Building the truth from N replicas read one by one: per record, the highest version any
 * replica holds, which is what every quorum read would return once repair caught up. While
 * merging, two kinds of disagreement are told apart: a replica that is merely behind (stale or
 * missing; repair fixes it) and two replicas holding the SAME version with different contents
 * (repair only moves records forward, so that can never converge, and some writer reused a
 * version for two decisions).
 */

/** One row of `seamline_records`, as read from one replica. */
export interface StoredRecord {
  readonly domain: string;
  readonly key: string;
  readonly version: Version;
  readonly tag: string | null;
  readonly value: unknown;
  /**
   * A tombstone: retention deleted the record at this version. It wins the merge like any newer
   * version (a stale live copy elsewhere is divergence, not a record), and the books skip it.
   */
  readonly deleted?: boolean;
}

/** Every row of one service database on one reachable replica. */
export interface ReplicaRows {
  readonly replica: string;
  readonly records: readonly StoredRecord[];
}

export interface Disagreement {
  readonly domain: string;
  readonly key: string;
  /** Each replica's version, `undefined` where it lacks the record. */
  readonly versions: readonly { replica: string; version: Version | undefined }[];
}

export interface MergedRecords {
  /** The highest version of every record, in (domain, key) order. */
  readonly truth: readonly StoredRecord[];
  /** Records some reachable replica lacks or holds at an older version. */
  readonly divergent: readonly Disagreement[];
  /** Records held at one version with different contents by different replicas. */
  readonly conflicts: readonly Disagreement[];
}

const identity = (r: { domain: string; key: string }) => `${r.domain}\u0000${r.key}`;

export function mergeReplicas(replicas: readonly ReplicaRows[]): MergedRecords {
  const perKey = new Map<string, Map<string, StoredRecord>>();
  for (const { replica, records } of replicas) {
    for (const record of records) {
      const id = identity(record);
      let holders = perKey.get(id);
      if (!holders) perKey.set(id, (holders = new Map()));
      holders.set(replica, record);
    }
  }
  const truth: StoredRecord[] = [];
  const divergent: Disagreement[] = [];
  const conflicts: Disagreement[] = [];
  for (const id of [...perKey.keys()].sort()) {
    const holders = perKey.get(id)!;
    let winner: StoredRecord | undefined;
    for (const record of holders.values()) {
      if (!winner || compareVersions(record.version, winner.version) > 0) winner = record;
    }
    truth.push(winner!);
    const versions = replicas.map(({ replica }) => ({
      replica,
      version: holders.get(replica)?.version,
    }));
    const behind = versions.some(
      (v) => v.version === undefined || compareVersions(v.version, winner!.version) !== 0,
    );
    if (behind) divergent.push({ domain: winner!.domain, key: winner!.key, versions });
    if (hasConflict([...holders.values()])) {
      conflicts.push({ domain: winner!.domain, key: winner!.key, versions });
    }
  }
  return { truth, divergent, conflicts };
}

function hasConflict(copies: readonly StoredRecord[]): boolean {
  const contentByVersion = new Map<string, string>();
  for (const copy of copies) {
    const version = formatVersion(copy.version);
    const content = canonicalJson({ tag: copy.tag, value: copy.value });
    const seen = contentByVersion.get(version);
    if (seen !== undefined && seen !== content) return true;
    contentByVersion.set(version, content);
  }
  return false;
}
