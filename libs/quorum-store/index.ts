export { QuorumStore } from './src/quorum-store.ts';
export type {
  AntiEntropyReport,
  FenceClaim,
  PurgeOptions,
  PurgeReport,
  ReadOptions,
  ScanOptions,
  ScanPage,
  WriteOptions,
} from './src/quorum-store.ts';
export { admits, claimToken, NO_FENCE } from './src/fence-rule.ts';
export type { InstalledFence } from './src/fence-rule.ts';
export type { Consistency, QuorumObserver, QuorumStoreOptions } from './src/options.ts';
export type { RecordWrite, ReplicaConfig } from './src/replica.ts';
export type { VersionedRecord } from './src/quorum-decision.ts';
export {
  checkQuorumSizes,
  decideRead,
  decideWrite,
  fenceQuorum,
  resolveRead,
} from './src/quorum-decision.ts';
export type { ReadOutcome, WriteDecision, WriteOutcome } from './src/quorum-decision.ts';
export type { Version } from './src/version.ts';
export {
  compareVersions,
  formatVersion,
  isNewer,
  maxVersion,
  nextVersion,
  ZERO_VERSION,
} from './src/version.ts';
export {
  FencedError,
  IndeterminateWriteError,
  QuorumError,
  QuorumUnavailableError,
} from './src/errors.ts';
export type { QuorumErrorCode, ReplicaFailure } from './src/errors.ts';
export { purgeableTombstones } from './src/tombstone-purge.ts';
export type { TombstoneRow } from './src/replica.ts';
export { startAntiEntropyLoop } from './src/anti-entropy-loop.ts';
export type { AntiEntropyLoopOptions } from './src/anti-entropy-loop.ts';
export { LruMap } from './src/lru-map.ts';
