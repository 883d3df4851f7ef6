import type { Version } from '@seamline/quorum-store';
import { compareVersions } from '@seamline/quorum-store';

/**
 * The last version the leader wrote or read per record key, bounded: least recently used keys
 * are forgotten past `capacity` (issue 9, hole 7: a map that only grows with the history).
 * A forgotten key is not a guess: the caller reads the record's version again before writing.
 */
export class VersionCache {
  private readonly byKey = new Map<string, Version>();

  /** @param capacity keys kept at most. @default 10000 */
  constructor(readonly capacity = 10_000) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`version cache capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): Version | undefined {
    const v = this.byKey.get(key);
    if (v !== undefined) {
      // Map keeps insertion order: re-inserting marks the key as most recently used.
      this.byKey.delete(key);
      this.byKey.set(key, v);
    }
    return v;
  }

  /** Sets `version` for `key`. */
  set(key: string, version: Version): void {
    this.byKey.delete(key);
    this.byKey.set(key, version);
    while (this.byKey.size > this.capacity) {
      const oldest = this.byKey.keys().next().value;
      if (oldest === undefined) break;
      this.byKey.delete(oldest);
    }
  }

  /** Keeps the higher of what is known and `version`. */
  remember(key: string, version: Version): void {
    const known = this.byKey.get(key);
    if (known === undefined || compareVersions(known, version) < 0) this.set(key, version);
  }

  delete(key: string): void {
    this.byKey.delete(key);
  }
}
