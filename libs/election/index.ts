// Public entry of @seamline/election: leader election on a NATS KV key with fencing tokens
// (the KV revision at acquisition), plus the pure lease core it is built on. The KV can hand a
// revision out again after losing writes, so a token is only proposed: the quorum store's
// claimFence makes the fencing token (docs/adr/0010-fenced-takeover.md).
export { ElectionRejoin } from './election-rejoin.ts';
export type { ElectionRejoinOptions, Rejoinable } from './election-rejoin.ts';
export { DivergedViewError, LeaderElection } from './leader-election.ts';
export type {
  ElectionObserver,
  ElectionTimers,
  LeaderElectionOptions,
  Standing,
} from './leader-election.ts';
export { expiresAt, leaderUntil, LeaseCandidate } from './lease-candidate.ts';
export type {
  Correction,
  HeldLease,
  LeaseAction,
  LossReason,
  Observation,
  WriteOutcome,
} from './lease-candidate.ts';
export { isCasConflict, openElectionBucket } from './lease-kv.ts';
export type { ElectionBucketOptions, LeaseKv, LeaseKvEntry, LeaseKvWatch } from './lease-kv.ts';
export {
  decodeLeaseRecord,
  encodeLeaseRecord,
  MalformedLeaseRecordError,
  tokenOf,
} from './lease-record.ts';
export type { LeaseRecord } from './lease-record.ts';
export {
  DEFAULT_LEASE_TIMING,
  InvalidElectionOptionError,
  leaseTiming,
  toleratedDrift,
} from './lease-timing.ts';
export type { LeaseTiming } from './lease-timing.ts';
