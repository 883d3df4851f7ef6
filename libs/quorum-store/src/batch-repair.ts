import type { BatchInfo, BatchedRecord } from './batch-decision.ts';
import { fenceAllowsGroup, groupRepair, missingForClosure } from './batch-decision.ts';
import type { QuorumObserver } from './options.ts';
import type { ReadOutcome } from './quorum-decision.ts';
import { resolveRead } from './quorum-decision.ts';
import type { Replica } from './replica.ts';
import type { Version } from './version.ts';
import { compareVersions } from './version.ts';

/** What one repair round did. */
export interface RepairResult {
  /** Keys some responder lacked (or held older) before the repair. */
  readonly divergent: ReadonlySet<string>;
  /** Records copied, over all targets. */
  readonly repaired: number;
  /** Groups a target's fence refused (batch-decision.ts): never applied. */
  readonly refused: number;
  /** Per key, the replicas holding its newest version after the repair. */
  readonly holders: ReadonlyMap<string, number>;
}

/** Rounds of closure reads before a repair gives up on the keys it could not close. */
const CLOSURE_ROUNDS = 8;

/**
 * The I/O around batch-decision.ts: given what some replicas hold for some keys, reads the
 * batches those versions came from (and their other members) until every group is closed, then
 * copies each group onto each replica that lacks it, one transaction per group, under the
 * target's fence. Used by read-repair, linearizable write-back and anti-entropy alike.
 */
export class BatchRepair {
  constructor(
    private readonly replica: (name: string) => Replica,
    private readonly writeQuorum: number,
    private readonly observer: QuorumObserver,
    /** Domains whose stale batches spread past a newer fence (QuorumStoreOptions). */
    private readonly spreadStale: ReadonlySet<string> = new Set(),
  ) {}

  /**
   * `responses`: what each responding replica holds of the keys in question. Only responders are
   * sources and targets; `only`, when given, limits the targets.
   */
  async repair(
    domain: string,
    responses: readonly ReadOutcome[],
    only?: ReadonlySet<string>,
  ): Promise<RepairResult> {
    const held = new Map<string, Map<string, BatchedRecord>>();
    for (const r of responses) if (r.kind === 'ok') held.set(r.replica, new Map(r.records));
    const first = resolveRead(okOutcomes(held));
    const divergent = new Set<string>();
    for (const lacking of first.stale.values()) for (const rec of lacking) divergent.add(rec.key);
    if (divergent.size === 0) return { divergent, repaired: 0, refused: 0, holders: first.holders };

    const batches = new Map<string, BatchInfo>();
    const batchHolders = new Map<string, Set<string>>();
    const asked = { batches: new Set<string>(), keys: new Set<string>() };
    let resolved = first;
    for (let round = 0; round < CLOSURE_ROUNDS; round++) {
      const roots = [...resolved.stale.values()].flat();
      const missing = missingForClosure(roots, { winners: resolved.winners, batches });
      const ids = missing.batches.filter((id) => !asked.batches.has(id));
      const keys = missing.keys.filter((k) => !asked.keys.has(k));
      if (ids.length === 0 && keys.length === 0) break;
      ids.forEach((id) => asked.batches.add(id));
      keys.forEach((k) => asked.keys.add(k));
      await Promise.all(
        [...held.keys()].map(async (name) => {
          const r = this.replica(name);
          try {
            for (const b of await r.batches(ids)) {
              batches.set(b.id, b);
              let set = batchHolders.get(b.id);
              if (set === undefined) batchHolders.set(b.id, (set = new Set()));
              set.add(name);
            }
            if (keys.length > 0) {
              const mine = held.get(name);
              for (const [k, rec] of await r.read(domain, keys)) mine?.set(k, rec);
            }
          } catch {
            // Unreachable now: its batches do not count as copies, its keys stay unknown.
          }
        }),
      );
      resolved = resolveRead(okOutcomes(held));
    }

    const copies = new Map<string, number>();
    for (const [id, set] of batchHolders) copies.set(id, set.size);
    let repaired = 0;
    let refused = 0;
    const holders = new Map(resolved.holders);
    for (const [target, lacking] of resolved.stale) {
      if (only !== undefined && !only.has(target)) continue;
      const targetHas = new Map<string, Version>();
      for (const [k, rec] of held.get(target) ?? []) targetHas.set(k, rec.version);
      const knowledge = { winners: resolved.winners, batches };
      for (const group of groupRepair(lacking, knowledge, targetHas)) {
        const groupCopies = new Map(copies);
        for (const b of group.batches) {
          if (!groupCopies.has(b.id)) groupCopies.set(b.id, recordCopies(b, held));
        }
        const spread = this.spreadStale.has(domain);
        const outcome = await this.replica(target).repair(
          domain,
          group,
          (fence) => spread || fenceAllowsGroup(fence, group, groupCopies, this.writeQuorum),
        );
        if (outcome.kind === 'ack') {
          repaired += group.records.length;
          this.observer.onRepair?.(domain, group.records.length);
          for (const rec of group.records) holders.set(rec.key, (holders.get(rec.key) ?? 0) + 1);
        } else if (outcome.kind === 'fenced') {
          refused += 1;
          this.observer.onRepairRefused?.({
            domain,
            replica: target,
            installedToken: outcome.installed,
            batches: group.batches.map((b) => ({ id: b.id, token: b.token })),
          });
        }
      }
    }
    return { divergent, repaired, refused, holders };
  }
}

/** Copies of a record without a kept batch: the replicas holding that version or newer. */
function recordCopies(
  batch: BatchInfo,
  held: ReadonlyMap<string, ReadonlyMap<string, BatchedRecord>>,
): number {
  const m = batch.members[0];
  if (m === undefined) return 0;
  let n = 0;
  for (const recs of held.values()) {
    const rec = recs.get(m.key);
    if (rec !== undefined && compareVersions(rec.version, m.version) >= 0) n += 1;
  }
  return n;
}

function okOutcomes(held: ReadonlyMap<string, ReadonlyMap<string, BatchedRecord>>): ReadOutcome[] {
  return [...held].map(([replica, records]) => ({ kind: 'ok', replica, records }));
}
