import type { Version } from '@seamline/quorum-store';
import { LruMap } from '@seamline/quorum-store';

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
export class RecordCache extends LruMap<CachedRecord> {}
