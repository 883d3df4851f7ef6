/**
 * A record version is `(fence, seq)`, compared lexicographically. The fence is the writer's fencing
 * token (the election term), so any write of a newer leader beats every write of an older one; the
 * sequence orders writes within one term. Never a wall clock: clocks drift, tokens do not.
 */
export interface Version {
  readonly fence: number;
  readonly seq: number;
}

export const ZERO_VERSION: Version = { fence: 0, seq: 0 };

/** Negative when a < b, zero when equal, positive when a > b. */
export function compareVersions(a: Version, b: Version): number {
  if (a.fence !== b.fence) return a.fence < b.fence ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

export function isNewer(a: Version, than: Version): boolean {
  return compareVersions(a, than) > 0;
}

export function maxVersion(a: Version, b: Version): Version {
  return compareVersions(a, b) >= 0 ? a : b;
}

/**
 * The version a writer holding `token` gives its next write of a record currently at `current`.
 * Returns undefined when the record already carries a higher token: the writer is stale and must
 * not write (the replicas would reject it anyway).
 */
export function nextVersion(current: Version | undefined, token: number): Version | undefined {
  if (current === undefined) return { fence: token, seq: 1 };
  if (current.fence > token) return undefined;
  if (current.fence === token) return { fence: token, seq: current.seq + 1 };
  return { fence: token, seq: 1 };
}

export function formatVersion(v: Version): string {
  return `(${v.fence},${v.seq})`;
}
