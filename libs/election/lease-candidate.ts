import { tokenOf, type LeaseRecord } from './lease-record.ts';
import type { LeaseTiming } from './lease-timing.ts';

// The pure lease protocol of one candidate: no I/O, no timers, every input carries the local
// clock reading. LeaderElection wraps it with NATS KV I/O; the simulation test drives it with
// a fake KV, drifting clocks, delays and pauses.
//
// Safety argument (why two nodes never both believe they lead):
// - The holder believes only until `sentAt + leaseMs - safetyMarginMs` on its clock, where
//   `sentAt` is when it SENT its last successful write (before the KV applied it).
// - An observer takes over only after seeing one revision unchanged for `leaseMs` on ITS
//   clock, counted from when it first saw that revision (after the KV applied it), and only
//   by compare-and-set on that revision, so any renewal in between makes the takeover fail.
// - The holder's wall clock in the value is never trusted; only local durations are, and
//   the margin absorbs bounded rate drift (see toleratedDrift).

/** What a candidate knows of the key: the newest revision it saw and when it first saw it. */
export interface Observation {
  revision: number;
  /** null: the key is absent or deleted (vacant). */
  record: LeaseRecord | null;
  /** Local time this revision was first seen. */
  seenAt: number;
}

/** A lease this candidate holds. */
export interface HeldLease {
  /** Fencing token: the KV revision of the acquiring write; constant for the term. */
  token: number;
  term: number;
  /** Revision of the holder's latest successful write (the CAS base of the next renewal). */
  revision: number;
  /** Local send time of the latest successful write. */
  sentAt: number;
}

export type LeaseAction =
  | { kind: 'create'; record: LeaseRecord }
  | { kind: 'update'; expectedRevision: number; record: LeaseRecord }
  | { kind: 'wait'; until: number }
  /** A write is in flight; `until`: when a held lease's belief ends regardless. */
  | { kind: 'busy'; until: number | null };

/** A view replaced by the stream leader's older answer (see `LeaseCandidate.correct`). */
export interface Correction {
  /** The revision the candidate believed newest (from its watch). */
  readonly believed: number;
  /** What the stream leader holds; null: no entry. */
  readonly leader: number | null;
}

export type LossReason = 'superseded' | 'expired' | 'stepped-down';

export type WriteOutcome =
  { kind: 'elected'; token: number; term: number } | { kind: 'renewed' } | { kind: 'none' };

interface InFlight {
  purpose: 'acquire' | 'renew';
  sentAt: number;
  record: LeaseRecord;
}

/** The local time until which the holder may act as leader. */
export function leaderUntil(lease: HeldLease, t: LeaseTiming): number {
  return lease.sentAt + t.leaseMs - t.safetyMarginMs;
}

/** The local time at which an observer may take an unchanged, occupied entry over. */
export function expiresAt(observation: Observation, t: LeaseTiming): number {
  return observation.seenAt + t.leaseMs;
}

export class LeaseCandidate {
  readonly id: string;
  readonly timing: LeaseTiming;
  private observed: Observation | null = null;
  private held: HeldLease | null = null;
  private inFlight: InFlight | null = null;
  private highestTerm = 0;
  private retryCampaignAt = Number.NEGATIVE_INFINITY;
  private retryRenewAt = Number.NEGATIVE_INFINITY;

  constructor(id: string, timing: LeaseTiming) {
    this.id = id;
    this.timing = timing;
  }

  /**
   * Whether `observe` would end our lease on this entry: a newer revision that is not our own
   * renewal. Asked before a watch's entry is believed (see LeaderElection: the stream leader
   * confirms it first, since a diverged replica can report a revision that never was).
   */
  supersedes(revision: number, record: LeaseRecord | null): boolean {
    if (this.held === null || revision <= this.held.revision) return false;
    if (this.observed !== null && revision <= this.observed.revision) return false;
    return !(
      record !== null &&
      record.holder === this.id &&
      tokenOf(revision, record) === this.held.token
    );
  }

  /** Feeds an entry of the key (from a watch or a get). Returns a loss if it supersedes us. */
  observe(revision: number, record: LeaseRecord | null, now: number): LossReason | null {
    // Watches and reads may lag or repeat; the view only moves forward.
    if (this.observed !== null && revision <= this.observed.revision) return null;
    this.observed = { revision, record, seenAt: now };
    this.retryCampaignAt = Number.NEGATIVE_INFINITY;
    if (record !== null) this.highestTerm = Math.max(this.highestTerm, record.term);
    if (this.held === null || revision <= this.held.revision) return null;
    // Our own renewal can be echoed before its acknowledgement, or after a failure whose
    // outcome was unknown: same holder, same token. The next renewal must expect this revision.
    if (
      record !== null &&
      record.holder === this.id &&
      tokenOf(revision, record) === this.held.token
    ) {
      this.held = { ...this.held, revision };
      return null;
    }
    this.held = null;
    return 'superseded';
  }

  /**
   * Feeds the stream leader's answer after a refused campaign. A watch may be served by any
   * replica of the bucket's stream, and one that diverged reports a revision the leader does
   * not hold (nats-server 2.9.10 did after a node was killed: ADR 0005); `observe` would keep
   * that revision as the newest and the candidate would campaign on it, refused, for ever. The
   * refusal proves the view wrong, so the leader's answer replaces it even when it is older,
   * and the entry is waited out again from `now`: a holder still renewing changes the revision
   * meanwhile and the next compare-and-set fails, so this never shortens a live lease.
   * `revision` null: the leader holds no entry (the key is vacant). A holder's view is left to
   * `observe`: a refused renewal has already ended its lease.
   */
  correct(revision: number | null, record: LeaseRecord | null, now: number): Correction | null {
    const seen = this.observed;
    if (this.held !== null || seen === null || (revision ?? 0) >= seen.revision) {
      if (revision !== null) this.observe(revision, record, now);
      return null;
    }
    this.observed = revision === null ? null : { revision, record, seenAt: now };
    this.retryCampaignAt = Number.NEGATIVE_INFINITY;
    return { believed: seen.revision, leader: revision };
  }

  /** Ends a belief that outlived its lease (no renewal landed in time). */
  checkExpiry(now: number): LossReason | null {
    if (this.held === null || now < leaderUntil(this.held, this.timing)) return null;
    this.held = null;
    return 'expired';
  }

  /** The next step at local time `now`. A create/update must be performed, then reported. */
  decide(now: number): LeaseAction {
    const t = this.timing;
    if (this.inFlight !== null) {
      return { kind: 'busy', until: this.held === null ? null : leaderUntil(this.held, t) };
    }
    if (this.held !== null) {
      const renewAt = Math.max(this.held.sentAt + t.renewEveryMs, this.retryRenewAt);
      if (now < renewAt)
        return { kind: 'wait', until: Math.min(renewAt, leaderUntil(this.held, t)) };
      const { token, term, revision } = this.held;
      const record: LeaseRecord = { holder: this.id, term, token, leaseMs: t.leaseMs };
      this.inFlight = { purpose: 'renew', sentAt: now, record };
      return { kind: 'update', expectedRevision: revision, record };
    }
    if (now < this.retryCampaignAt) return { kind: 'wait', until: this.retryCampaignAt };
    const record: LeaseRecord = { holder: this.id, term: this.highestTerm + 1, leaseMs: t.leaseMs };
    const seen = this.observed;
    // Unknown or vacant: create is a compare-and-set on absence, so trying is always safe.
    if (seen === null || seen.record === null) {
      this.inFlight = { purpose: 'acquire', sentAt: now, record };
      return { kind: 'create', record };
    }
    if (now < expiresAt(seen, t)) return { kind: 'wait', until: expiresAt(seen, t) };
    this.inFlight = { purpose: 'acquire', sentAt: now, record };
    return { kind: 'update', expectedRevision: seen.revision, record };
  }

  /** The pending write succeeded with `revision`. */
  writeSucceeded(revision: number, now: number): WriteOutcome {
    const flight = this.inFlight;
    this.inFlight = null;
    if (flight === null) return { kind: 'none' };
    this.observe(revision, flight.record, now);
    if (flight.purpose === 'renew') {
      // If our belief already ended (expired, superseded) we do not resurrect it.
      if (this.held === null) return { kind: 'none' };
      this.retryRenewAt = Number.NEGATIVE_INFINITY;
      this.held = { ...this.held, revision, sentAt: flight.sentAt };
      return { kind: 'renewed' };
    }
    const lease: HeldLease = {
      token: revision,
      term: flight.record.term,
      revision,
      sentAt: flight.sentAt,
    };
    // A write so slow that its lease is already over never made us leader.
    if (now >= leaderUntil(lease, this.timing)) return { kind: 'none' };
    this.held = lease;
    return { kind: 'elected', token: revision, term: lease.term };
  }

  /**
   * The pending write failed. `conflict`: the KV refused the compare-and-set, so someone
   * else wrote; otherwise the outcome is unknown (it may have applied).
   */
  writeFailed(now: number, conflict: boolean): LossReason | null {
    const flight = this.inFlight;
    this.inFlight = null;
    if (flight === null) return null;
    if (flight.purpose === 'acquire') {
      // Our view is stale; wait for the watch (or a refresh) instead of hammering the KV.
      this.retryCampaignAt = now + this.timing.renewEveryMs / 4;
      return null;
    }
    if (this.held === null) return null;
    if (conflict) {
      this.held = null;
      return 'superseded';
    }
    // Outcome unknown (a timeout, the KV stream electing a leader). The belief still ends at
    // `sentAt` of the last acknowledged write plus the lease, so keeping it is as safe as
    // before; the renewal is retried shortly, and if this write did apply, its echo on the
    // watch moves our revision forward (see `observe`). Only expiry or a foreign write end it.
    this.retryRenewAt = now + this.timing.renewEveryMs / 4;
    return null;
  }

  /** Gives the lease up now; returns the revision to delete by compare-and-set, if held. */
  stepDown(): { revision: number } | null {
    const held = this.held;
    this.held = null;
    return held === null ? null : { revision: held.revision };
  }

  isLeader(now: number): boolean {
    return this.held !== null && now < leaderUntil(this.held, this.timing);
  }

  /** The current fencing token, or null when not leading. */
  token(now: number): number | null {
    return this.isLeader(now) ? (this.held?.token ?? null) : null;
  }

  /** Snapshot for logs and tests. */
  view(): { observed: Observation | null; held: HeldLease | null; writing: boolean } {
    return { observed: this.observed, held: this.held, writing: this.inFlight !== null };
  }
}
