/**
 * The pure rules of group commit (ADR 0018). What a bug would break: writes of different tokens
 * or holders sharing one fence decision (a stale write carried past the fence by fresh ones, or
 * failing them), writes reordered across a group boundary, a group growing past its bounds, a
 * duplicate key reaching the statement twice (PostgreSQL refuses it) or keeping a lower version
 * than applying the writes one by one would.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { QueuedWrite } from './group-commit.ts';
import { batchMembers, mergeRows, sameGroup, takeGroup } from './group-commit.ts';
import type { RecordWrite } from './replica-sql.ts';
import { compareVersions } from './version.ts';

let ids = 0;
function write(
  token: number,
  rows: [string, number][],
  opts: { holder?: string; insertOnly?: boolean } = {},
): QueuedWrite {
  ids += 1;
  return {
    rows: rows.map(([key, seq]) => ({ key, version: { fence: token, seq }, value: { seq } })),
    batch: { id: `b${ids}`, token, holder: opts.holder ?? 'h' },
    insertOnly: opts.insertOnly ?? false,
  };
}

const limits = { maxWrites: 64, maxRows: 2000 };

describe('takeGroup', () => {
  it('takes nothing from an empty queue and a lone write alone', () => {
    expect(takeGroup([], limits)).toBe(0);
    expect(takeGroup([write(1, [['a', 1]])], limits)).toBe(1);
  });

  it('groups the run of writes sharing token, holder and mode, and stops at the first that differs', () => {
    const q = [
      write(5, [['a', 1]]),
      write(5, [['b', 1]]),
      write(4, [['c', 1]]),
      write(5, [['d', 1]]),
    ];
    expect(takeGroup(q, limits)).toBe(2);
    // The stale write goes alone, and the later fresh one is not pulled ahead of it.
    expect(takeGroup(q.slice(2), limits)).toBe(1);
    expect(takeGroup(q.slice(3), limits)).toBe(1);
    expect(
      takeGroup([write(5, [['a', 1]]), write(5, [['b', 1]], { holder: 'other' })], limits),
    ).toBe(1);
    expect(
      takeGroup([write(5, [['a', 1]]), write(5, [['b', 1]], { insertOnly: true })], limits),
    ).toBe(1);
  });

  it('respects the bounds, yet sends a write larger than maxRows alone', () => {
    const q = Array.from({ length: 10 }, (_, i) =>
      write(1, [
        [`k${i}`, 1],
        [`j${i}`, 1],
      ]),
    );
    expect(takeGroup(q, { maxWrites: 3, maxRows: 100 })).toBe(3);
    expect(takeGroup(q, { maxWrites: 64, maxRows: 5 })).toBe(2);
    expect(takeGroup(q, { maxWrites: 64, maxRows: 1 })).toBe(1);
  });

  it('always cuts the queue into contiguous groups of one token each, in order (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 })), {
          maxLength: 40,
        }),
        fc.integer({ min: 1, max: 8 }),
        (spec, maxWrites) => {
          const q = spec.map(([token, n]) =>
            write(
              token,
              Array.from({ length: n }, (_, i): [string, number] => [`k${i}`, 1]),
            ),
          );
          let at = 0;
          while (at < q.length) {
            const n = takeGroup(q.slice(at), { maxWrites, maxRows: 6 });
            expect(n).toBeGreaterThanOrEqual(1);
            expect(n).toBeLessThanOrEqual(maxWrites);
            const group = q.slice(at, at + n);
            for (const w of group) expect(sameGroup(group[0] as QueuedWrite, w)).toBe(true);
            if (n > 1) expect(group.reduce((s, w) => s + w.rows.length, 0)).toBeLessThanOrEqual(6);
            at += n;
          }
          expect(at).toBe(q.length);
        },
      ),
    );
  });
});

/** What applying the writes one by one, each in its own transaction, leaves per key. */
function sequential(
  writes: readonly QueuedWrite[],
): Map<string, { row: RecordWrite; batchId: string }> {
  const held = new Map<string, { row: RecordWrite; batchId: string }>();
  for (const w of writes) {
    for (const row of w.rows) {
      const cur = held.get(row.key);
      const wins =
        cur === undefined || (!w.insertOnly && compareVersions(row.version, cur.row.version) > 0);
      if (wins) held.set(row.key, { row, batchId: w.batch.id });
    }
  }
  return held;
}

describe('mergeRows', () => {
  it('keeps one row per key: the highest version, with the batch it came from', () => {
    const w1 = write(2, [
      ['saga', 3],
      ['a', 1],
    ]);
    const w2 = write(2, [['saga', 4]]);
    const w3 = write(2, [
      ['saga', 2],
      ['b', 1],
    ]);
    const rows = mergeRows([w1, w2, w3]);
    expect(rows.map((r) => r.row.key).sort()).toEqual(['a', 'b', 'saga']);
    const saga = rows.find((r) => r.row.key === 'saga');
    expect(saga?.row.version).toEqual({ fence: 2, seq: 4 });
    expect(saga?.batchId).toBe(w2.batch.id);
  });

  it('keeps the first of equal versions, and the first row of an insert-only key', () => {
    const a = write(1, [['k', 1]]);
    const b = write(1, [['k', 1]]);
    expect(mergeRows([a, b])[0]?.batchId).toBe(a.batch.id);
    const i1 = write(1, [['idem', 1]], { insertOnly: true });
    const i2 = write(1, [['idem', 2]], { insertOnly: true });
    expect(mergeRows([i1, i2])).toEqual([{ row: i1.rows[0], batchId: i1.batch.id }]);
  });

  it('still lists every member in each write’s own batch row', () => {
    const w1 = write(2, [
      ['saga', 3],
      ['a', 1],
    ]);
    const w2 = write(2, [['saga', 4]]);
    mergeRows([w1, w2]);
    expect(batchMembers(w1)).toEqual([
      ['saga', 2, 3],
      ['a', 2, 1],
    ]);
    expect(batchMembers(w2)).toEqual([['saga', 2, 4]]);
  });

  it('leaves exactly what applying the writes one by one leaves (property)', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(
          fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd'), fc.integer({ min: 1, max: 5 })), {
            minLength: 1,
            maxLength: 4,
          }),
          { minLength: 1, maxLength: 8 },
        ),
        (insertOnly, spec) => {
          const writes = spec.map((rows) => write(7, rows, { insertOnly }));
          const merged = mergeRows(writes);
          expect(new Set(merged.map((r) => r.row.key)).size).toBe(merged.length);
          const expected = sequential(writes);
          expect(new Map(merged.map((r) => [r.row.key, r]))).toEqual(expected);
        },
      ),
    );
  });
});
