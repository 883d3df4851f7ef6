import type { Version } from '@seamline/quorum-store';

/** What the single writer knows a record holds: the value and the version it carries. */
export interface CachedRecord {
  readonly version: Version;
  readonly tag: string | null;
  readonly value: unknown;
}

/**
 * The latest version of every record this writer read or wrote in its current term, bounded in
 * size (least recently used entries go first; a miss only costs a quorum read).
 *
 * It is authoritative only because the holder is the domain's only writer: nobody else can move
 * a record while the token is ours. A new token therefore starts from an empty cache.
 */
export class RecordCache {
  private readonly entries = new Map<string, CachedRecord>();

  constructor(private readonly capacity: number) {}

  get(key: string): CachedRecord | undefined {
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, record: CachedRecord): void {
    this.entries.delete(key);
    this.entries.set(key, record);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
