/**
 * Hunts repair bugs (issue 9, hole 3): a repair that copies one key of a batch without the
 * others (a ledger entry without its balance change), and a repair that lands a stale leader's
 * batch on a replica whose fence would refuse that leader's own write.
 */
import { describe, expect, it } from 'vitest';
import type { BatchInfo, BatchedRecord } from './batch-decision.ts';
import {
  batchOf,
  fenceAllowsCopy,
  fenceAllowsGroup,
  groupRepair,
  missingForClosure,
} from './batch-decision.ts';
import type { Version } from './version.ts';

function rec(key: string, fence: number, seq: number, batchId: string | null): BatchedRecord {
  return { key, version: { fence, seq }, tag: null, value: `${key}@${fence}.${seq}`, batchId };
}

function batch(id: string, token: number, members: BatchedRecord[], holder = 'h'): BatchInfo {
  return { id, token, holder, members: members.map((m) => ({ key: m.key, version: m.version })) };
}

const ledger = rec('ledger:1', 3, 1, 'b1');
const balance = rec('balance', 3, 7, 'b1');
const b1 = batch('b1', 3, [ledger, balance]);

describe('groupRepair (hole 3)', () => {
  it('copies a whole batch when the target lacks one of its keys', () => {
    const groups = groupRepair(
      [ledger],
      {
        winners: new Map([
          [ledger.key, ledger],
          [balance.key, balance],
        ]),
        batches: new Map([['b1', b1]]),
      },
      new Map<string, Version>([['balance', { fence: 3, seq: 6 }]]),
    );
    expect(groups).toHaveLength(1);
    expect(groups[0]?.records.map((r) => r.key)).toEqual(['balance', 'ledger:1']);
    expect(groups[0]?.batches.map((b) => b.id)).toEqual(['b1']);
  });

  it('pulls in the batch that superseded a member, so the group is never a half batch', () => {
    // b2 moved the balance on and added a second ledger entry; the target has neither batch.
    const ledger2 = rec('ledger:2', 3, 1, 'b2');
    const balance8 = rec('balance', 3, 8, 'b2');
    const b2 = batch('b2', 3, [ledger2, balance8]);
    const groups = groupRepair(
      [ledger],
      {
        winners: new Map([
          [ledger.key, ledger],
          [ledger2.key, ledger2],
          [balance.key, balance8],
        ]),
        batches: new Map([
          ['b1', b1],
          ['b2', b2],
        ]),
      },
      new Map(),
    );
    expect(groups).toHaveLength(1);
    expect(groups[0]?.records.map((r) => `${r.key}:${r.version.seq}`)).toEqual([
      'balance:8',
      'ledger:1:1',
      'ledger:2:1',
    ]);
    expect(groups[0]?.batches.map((b) => b.id).sort()).toEqual(['b1', 'b2']);
  });

  it('keeps unrelated batches in separate groups and skips what the target already holds', () => {
    const other = rec('other', 3, 1, 'b9');
    const groups = groupRepair(
      [ledger, other],
      {
        winners: new Map([
          [ledger.key, ledger],
          [balance.key, balance],
          [other.key, other],
        ]),
        batches: new Map([
          ['b1', b1],
          ['b9', batch('b9', 3, [other])],
        ]),
      },
      new Map<string, Version>([['balance', { fence: 3, seq: 7 }]]),
    );
    expect(groups.map((g) => g.records.map((r) => r.key))).toEqual([['ledger:1'], ['other']]);
  });

  it('treats a record without a kept batch as a batch of its own, under its version token', () => {
    const old = rec('legacy', 2, 4, null);
    const b = batchOf(old, new Map());
    expect(b).toMatchObject({ token: 2, holder: '', members: [{ key: 'legacy' }] });
    expect(
      groupRepair([old], { winners: new Map([['legacy', old]]), batches: new Map() }, new Map()),
    ).toHaveLength(1);
  });
});

describe('missingForClosure', () => {
  it('asks for unknown batches first, then for members whose newest version is unknown', () => {
    expect(missingForClosure([ledger], { winners: new Map(), batches: new Map() })).toEqual({
      batches: ['b1'],
      keys: [],
    });
    expect(
      missingForClosure([ledger], {
        winners: new Map([[ledger.key, ledger]]),
        batches: new Map([['b1', b1]]),
      }),
    ).toEqual({ batches: [], keys: ['balance'] });
    expect(
      missingForClosure([ledger], {
        winners: new Map([
          [ledger.key, ledger],
          [balance.key, balance],
        ]),
        batches: new Map([['b1', b1]]),
      }),
    ).toEqual({ batches: [], keys: [] });
  });
});

describe('fenceAllowsCopy (hole 3)', () => {
  const W = 2;
  it('admits a batch whose token the fence would admit from its writer', () => {
    expect(fenceAllowsCopy({ token: 3, holder: 'h' }, { token: 3, holder: 'h' }, 1, W)).toBe(true);
    expect(fenceAllowsCopy({ token: 2, holder: 'x' }, { token: 3, holder: 'h' }, 1, W)).toBe(true);
  });

  it('refuses a stale batch on fewer than W replicas under a newer fence, or the same token of another holder', () => {
    expect(fenceAllowsCopy({ token: 4, holder: 'n' }, { token: 3, holder: 'h' }, 1, W)).toBe(false);
    expect(fenceAllowsCopy({ token: 3, holder: 'n' }, { token: 3, holder: 'h' }, 1, W)).toBe(false);
  });

  it('admits an older batch that already sits on W replicas: every successor read saw it', () => {
    expect(fenceAllowsCopy({ token: 4, holder: 'n' }, { token: 3, holder: 'h' }, 2, W)).toBe(true);
  });

  it('refuses a whole group when any of its batches is refused', () => {
    const stale = batch('b0', 2, []);
    const group = { records: [], batches: [b1, stale] };
    const copies = new Map([
      ['b1', 1],
      ['b0', 1],
    ]);
    expect(fenceAllowsGroup({ token: 3, holder: 'h' }, group, copies, W)).toBe(false);
    expect(fenceAllowsGroup({ token: 2, holder: '' }, group, copies, W)).toBe(true);
  });
});
