/**
 * Issue 9, hole 7: when a tombstone may be removed for good. Hunts a purge while some replica
 * still holds a live copy (it would be read back and repaired onto the others: resurrection),
 * lacks the tombstone, holds another version, or did not answer.
 */
import { describe, expect, it } from 'vitest';
import type { VersionedRecord } from './quorum-decision.ts';
import { purgeableTombstones } from './tombstone-purge.ts';

const tomb = (key: string, seq = 2): VersionedRecord => ({
  key,
  version: { fence: 5, seq },
  tag: null,
  value: null,
  deleted: true,
});
const live = (key: string): VersionedRecord => ({
  key,
  version: { fence: 5, seq: 1 },
  tag: 'COMPLETED',
  value: {},
});
const held = (...replicas: VersionedRecord[][]) =>
  new Map(replicas.map((recs, i) => [`pg-${i + 1}`, new Map(recs.map((r) => [r.key, r]))]));
const candidate = (key: string, seq = 2) => ({ key, version: { fence: 5, seq } });

describe('purgeableTombstones', () => {
  it('purges a tombstone every replica holds at the same version', () => {
    expect(
      purgeableTombstones([candidate('a')], held([tomb('a')], [tomb('a')], [tomb('a')]), 3),
    ).toEqual([candidate('a')]);
  });
  it('keeps it while a replica still holds the live record or lacks the key', () => {
    expect(
      purgeableTombstones([candidate('a')], held([tomb('a')], [tomb('a')], [live('a')]), 3),
    ).toEqual([]);
    expect(purgeableTombstones([candidate('a')], held([tomb('a')], [tomb('a')], []), 3)).toEqual(
      [],
    );
  });
  it('keeps it while the replicas hold different versions of it', () => {
    expect(
      purgeableTombstones([candidate('a')], held([tomb('a')], [tomb('a')], [tomb('a', 3)]), 3),
    ).toEqual([]);
  });
  it('keeps everything while a replica did not answer', () => {
    expect(purgeableTombstones([candidate('a')], held([tomb('a')], [tomb('a')]), 3)).toEqual([]);
  });
  it('decides key by key and names each once', () => {
    const replicas = held([tomb('a'), tomb('b')], [tomb('a'), tomb('b')], [tomb('a'), live('b')]);
    expect(
      purgeableTombstones([candidate('a'), candidate('b'), candidate('a')], replicas, 3),
    ).toEqual([candidate('a')]);
  });
});
