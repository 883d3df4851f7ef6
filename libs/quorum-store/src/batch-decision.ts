import type { InstalledFence } from './fence-rule.ts';
import { admits } from './fence-rule.ts';
import type { VersionedRecord } from './quorum-decision.ts';
import type { Version } from './version.ts';
import { compareVersions } from './version.ts';

/**
 * The pure rules of repair (read-repair, write-back and anti-entropy; ADR 0015). A write puts
 * several records together in one batch, atomic on each replica; repair must never leave a
 * replica holding part of a batch (a ledger entry without its balance change), and must never
 * copy onto a replica what the fence there would refuse from the writer itself.
 *
 * 1. Batch-whole: repairing a key copies the batch its newest version came from. Each member
 *    key is copied at the newest version any source holds (a source applied the batch whole, so
 *    that is at least the batch's version); when that newest version came from another batch,
 *    that batch joins too. The closure is one repair group, applied in ONE transaction.
 * 2. Fenced: a group is applied only if the target's installed fence admits every batch's token
 *    and holder (fence-rule.ts), as it would admit the write itself arriving late; or, for a
 *    batch written under an older token, if the batch already sits on a write quorum of
 *    replicas: then every fenced read of the successor saw it (ADR 0010), so copying it cannot
 *    resurrect anything the successor decided without. Anything else is refused for that
 *    replica and counted: a stale leader's batch that reached fewer than W replicas stays where
 *    it landed and never spreads.
 */

/** A record as a replica holds it; `batchId` names the batch its version came from. */
export type BatchedRecord = VersionedRecord;

/** What a replica remembers of one applied batch. */
export interface BatchInfo {
  readonly id: string;
  readonly token: number;
  readonly holder: string;
  readonly members: readonly { readonly key: string; readonly version: Version }[];
}

/** What repair knows about the sources (every reachable replica but the target). */
export interface RepairKnowledge {
  /** The newest version of each key across the sources. */
  readonly winners: ReadonlyMap<string, BatchedRecord>;
  /** Batches by id, as read from the sources. */
  readonly batches: ReadonlyMap<string, BatchInfo>;
  /** How many replicas (target included) hold each batch. */
  readonly copies: ReadonlyMap<string, number>;
}

/** One set of records to copy onto one replica in one transaction, with their batches. */
export interface RepairGroup {
  readonly records: readonly BatchedRecord[];
  readonly batches: readonly BatchInfo[];
}

/** The batch a record belongs to; a record without one is a batch of itself. */
export function batchOf(rec: BatchedRecord, batches: ReadonlyMap<string, BatchInfo>): BatchInfo {
  const known = rec.batchId == null ? undefined : batches.get(rec.batchId);
  if (known !== undefined) return known;
  return {
    id: legacyBatchId(rec),
    token: rec.version.fence,
    holder: '',
    members: [{ key: rec.key, version: rec.version }],
  };
}

const RECORD_BATCH = 'record:';

function legacyBatchId(rec: VersionedRecord): string {
  return `${RECORD_BATCH}${rec.key}@${rec.version.fence}.${rec.version.seq}`;
}

/** Whether `id` names a record without a kept batch (a batch of its own, never stored). */
export function isRecordBatch(id: string): boolean {
  return id.startsWith(RECORD_BATCH);
}

/**
 * What must still be read before {@link groupRepair} can close the groups of `roots`: batch ids
 * whose membership is unknown, and member keys whose newest version is unknown.
 */
export function missingForClosure(
  roots: readonly BatchedRecord[],
  k: Pick<RepairKnowledge, 'winners' | 'batches'>,
): { batches: string[]; keys: string[] } {
  const batches = new Set<string>();
  const keys = new Set<string>();
  const seen = new Set<string>();
  const visit = (rec: BatchedRecord): void => {
    if (rec.batchId == null || seen.has(rec.batchId)) return;
    seen.add(rec.batchId);
    const batch = k.batches.get(rec.batchId);
    if (batch === undefined) {
      batches.add(rec.batchId);
      return;
    }
    for (const m of batch.members) {
      const win = k.winners.get(m.key);
      if (win === undefined) keys.add(m.key);
      else visit(win);
    }
  };
  for (const r of roots) visit(r);
  return { batches: [...batches], keys: [...keys] };
}

/**
 * Groups what one target replica must receive. `lacking`: the newest records the target does not
 * hold (or holds older); `targetHas`: the target's version of every key it was asked about.
 * Each group is closed: every member of its batches is either in it or already on the target.
 */
export function groupRepair(
  lacking: readonly BatchedRecord[],
  k: Pick<RepairKnowledge, 'winners' | 'batches'>,
  targetHas: ReadonlyMap<string, Version>,
): RepairGroup[] {
  const needs = (rec: BatchedRecord): boolean => {
    const mine = targetHas.get(rec.key);
    return mine === undefined || compareVersions(mine, rec.version) < 0;
  };
  // Union-find over batch ids: batches that must travel together share a root.
  const parent = new Map<string, string>();
  const find = (id: string): string => {
    let root = id;
    for (let up = parent.get(root); up !== undefined && up !== root; up = parent.get(root))
      root = up;
    parent.set(id, root);
    return root;
  };
  const join = (a: string, b: string): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra, rb);
  };
  const infos = new Map<string, BatchInfo>();
  const records = new Map<string, BatchedRecord>();
  const queue: BatchedRecord[] = [];
  for (const rec of lacking) {
    if (needs(rec) && !records.has(rec.key)) {
      records.set(rec.key, rec);
      queue.push(rec);
    }
  }
  for (let rec = queue.pop(); rec !== undefined; rec = queue.pop()) {
    const batch = batchOf(rec, k.batches);
    if (infos.has(batch.id)) continue;
    infos.set(batch.id, batch);
    for (const m of batch.members) {
      const win = k.winners.get(m.key);
      if (win === undefined || !needs(win)) continue;
      join(batch.id, batchOf(win, k.batches).id);
      if (!records.has(win.key)) {
        records.set(win.key, win);
        queue.push(win);
      }
    }
  }
  const groups = new Map<string, { records: BatchedRecord[]; batches: BatchInfo[] }>();
  const groupOf = (id: string) => {
    const root = find(id);
    let g = groups.get(root);
    if (g === undefined) groups.set(root, (g = { records: [], batches: [] }));
    return g;
  };
  for (const b of infos.values()) groupOf(b.id).batches.push(b);
  for (const rec of records.values()) groupOf(batchOf(rec, k.batches).id).records.push(rec);
  const byKey = (a: BatchedRecord, b: BatchedRecord) =>
    a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
  const out = [...groups.values()];
  for (const g of out) g.records.sort(byKey);
  const firstKey = (g: RepairGroup) => g.records[0]?.key ?? '';
  return out.sort((a, b) => (firstKey(a) < firstKey(b) ? -1 : firstKey(a) > firstKey(b) ? 1 : 0));
}

/**
 * Whether a replica holding `fence` may receive `group`: every batch in it passes
 * {@link fenceAllowsCopy}. Checked again inside the repair transaction, under the fence lock.
 */
export function fenceAllowsGroup(
  fence: InstalledFence,
  group: RepairGroup,
  copies: ReadonlyMap<string, number>,
  writeQuorum: number,
): boolean {
  return group.batches.every((b) => fenceAllowsCopy(fence, b, copies.get(b.id) ?? 0, writeQuorum));
}

/**
 * Whether a replica holding `fence` may receive a copy of `batch`, which `copies` replicas hold:
 * the fence admits the batch's own token and holder, or the batch already sits on W replicas.
 */
export function fenceAllowsCopy(
  fence: InstalledFence,
  batch: Pick<BatchInfo, 'token' | 'holder'>,
  copies: number,
  writeQuorum: number,
): boolean {
  return admits(fence, batch.token, batch.holder) || copies >= writeQuorum;
}
