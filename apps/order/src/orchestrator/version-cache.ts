import type { Version } from '@seamline/quorum-store';
import { compareVersions, LruMap } from '@seamline/quorum-store';

/**
 * The last version the leader wrote or read per record key, bounded: least recently used keys
 * are forgotten past `capacity` (issue 9, hole 7: a map that only grows with the history).
 * A forgotten key is not a guess: the caller reads the record's version again before writing.
 */
export class VersionCache extends LruMap<Version> {
  /** @param capacity keys kept at most. @default 10000 */
  constructor(capacity = 10_000) {
    super(capacity);
  }

  /** Keeps the higher of what is known and `version`. */
  remember(key: string, version: Version): void {
    const known = this.peek(key);
    if (known === undefined || compareVersions(known, version) < 0) this.set(key, version);
  }
}
