import type { Version } from './version.ts';
import { compareVersions } from './version.ts';

/**
 * The pure rules of the quorum: which replica answers count, when an operation is decided, and
 * which version wins. The store feeds outcomes in as they arrive and acts on the first decision
 * that is not `pending`, so a slow replica never holds up a quorum of fast ones.
 */

/** How one replica answered a write (or a fence installation). */
export type WriteOutcome =
  | { readonly kind: 'ack'; readonly replica: string }
  | {
      readonly kind: 'fenced';
      readonly replica: string;
      readonly installed: number;
      /** Who installed it; refusals of an equal token name another holder here. */
      readonly holder?: string;
    }
  /**
   * `applied: 'no'` only when the replica provably did not commit (the connection was refused
   * before anything was sent); a timeout or an error after sending is `'unknown'`.
   */
  | {
      readonly kind: 'failed';
      readonly replica: string;
      readonly reason: string;
      readonly applied: 'no' | 'unknown';
    };

export type WriteDecision =
  | { readonly kind: 'pending' }
  | { readonly kind: 'success'; readonly acks: number }
  | {
      readonly kind: 'fenced';
      readonly replica: string;
      readonly installed: number;
      readonly holder?: string;
      readonly acks: number;
    }
  /** Fewer than `needed` acks, and the write may have applied somewhere. */
  | { readonly kind: 'indeterminate'; readonly acks: number }
  /** Fewer than `needed` acks, and provably nothing applied anywhere. */
  | { readonly kind: 'unavailable'; readonly acks: number };

/**
 * Decides a write from the outcomes so far. `total` is how many replicas were asked; `needed` is W
 * (or N - W + 1 for a fence installation). A fencing rejection decides at once: a higher token
 * exists, so this writer is stale whatever the other replicas say.
 */
export function decideWrite(
  outcomes: readonly WriteOutcome[],
  total: number,
  needed: number,
): WriteDecision {
  let acks = 0;
  let maybeApplied = false;
  for (const o of outcomes) {
    if (o.kind === 'ack') acks += 1;
    else if (o.kind === 'failed' && o.applied === 'unknown') maybeApplied = true;
  }
  const fenced = outcomes.find((o) => o.kind === 'fenced');
  if (fenced !== undefined && fenced.kind === 'fenced') {
    return {
      kind: 'fenced',
      replica: fenced.replica,
      installed: fenced.installed,
      ...(fenced.holder === undefined ? {} : { holder: fenced.holder }),
      acks,
    };
  }
  if (acks >= needed) return { kind: 'success', acks };
  const pending = total - outcomes.length;
  if (acks + pending >= needed) return { kind: 'pending' };
  // Decided before every replica answered: one still writing may yet apply it, so only a
  // round in which every replica refused without applying is a clean failure.
  return acks > 0 || maybeApplied || pending > 0
    ? { kind: 'indeterminate', acks }
    : { kind: 'unavailable', acks };
}

/** A stored record as a replica returns it. */
export interface VersionedRecord {
  readonly key: string;
  readonly version: Version;
  readonly tag: string | null;
  readonly value: unknown;
  /**
   * The batch this version was written in (batch-decision.ts); null for records older than
   * batches, absent where the caller does not care.
   */
  readonly batchId?: string | null;
  /** A tombstone (retention deleted the record at this version); absent means false. */
  readonly deleted?: boolean;
}

export type ReadOutcome =
  | {
      readonly kind: 'ok';
      readonly replica: string;
      readonly records: ReadonlyMap<string, VersionedRecord>;
    }
  | { readonly kind: 'failed'; readonly replica: string; readonly reason: string };

export type ReadDecision =
  | { readonly kind: 'pending' }
  | { readonly kind: 'unavailable'; readonly responses: number }
  | { readonly kind: 'success'; readonly responses: readonly ReadOutcome[] };

/** A read is decided once `needed` (R) replicas answered, or when R can no longer be reached. */
export function decideRead(
  outcomes: readonly ReadOutcome[],
  total: number,
  needed: number,
): ReadDecision {
  const ok = outcomes.filter((o) => o.kind === 'ok');
  if (ok.length >= needed) return { kind: 'success', responses: ok };
  const pending = total - outcomes.length;
  if (ok.length + pending >= needed) return { kind: 'pending' };
  return { kind: 'unavailable', responses: ok.length };
}

export interface ReadResolution {
  /** The highest version of each key any responder holds. */
  readonly winners: ReadonlyMap<string, VersionedRecord>;
  /** Per responding replica, the winning records it lacks or holds in an older version. */
  readonly stale: ReadonlyMap<string, readonly VersionedRecord[]>;
  /** Per key, how many responders already hold the winning version. */
  readonly holders: ReadonlyMap<string, number>;
}

/** Picks the highest version per key across the responses and lists what each replica must repair. */
export function resolveRead(responses: readonly ReadOutcome[]): ReadResolution {
  const winners = new Map<string, VersionedRecord>();
  for (const r of responses) {
    if (r.kind !== 'ok') continue;
    for (const rec of r.records.values()) {
      const best = winners.get(rec.key);
      if (best === undefined || compareVersions(rec.version, best.version) > 0)
        winners.set(rec.key, rec);
    }
  }
  const stale = new Map<string, VersionedRecord[]>();
  const holders = new Map<string, number>();
  for (const r of responses) {
    if (r.kind !== 'ok') continue;
    const lacking: VersionedRecord[] = [];
    for (const win of winners.values()) {
      const mine = r.records.get(win.key);
      if (mine === undefined || compareVersions(mine.version, win.version) < 0) lacking.push(win);
      else holders.set(win.key, (holders.get(win.key) ?? 0) + 1);
    }
    if (lacking.length > 0) stale.set(r.replica, lacking);
  }
  return { winners, stale, holders };
}

/**
 * Quorum sizes must intersect (R + W > N) unless eventual consistency is asked for by name;
 * returns the reason the configuration is refused, or undefined when it is sound.
 */
export function checkQuorumSizes(
  n: number,
  w: number,
  r: number,
  consistency: 'quorum' | 'linearizable' | 'eventual',
): string | undefined {
  if (!Number.isInteger(n) || n < 1) return `replica count N must be a positive integer, got ${n}`;
  if (!Number.isInteger(w) || w < 1 || w > n) return `writeQuorum W must be in 1..${n}, got ${w}`;
  if (!Number.isInteger(r) || r < 1 || r > n) return `readQuorum R must be in 1..${n}, got ${r}`;
  if (r + w <= n && consistency !== 'eventual') {
    return `R + W must exceed N for ${consistency} consistency (R=${r}, W=${w}, N=${n}); ask for consistency 'eventual' by name to allow it`;
  }
  return undefined;
}

/** Replicas a new leader must install its token on: any W acks then include one that refuses older tokens. */
export function fenceQuorum(n: number, w: number): number {
  return n - w + 1;
}
