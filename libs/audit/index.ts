/**
 * @seamline/audit: the invariant auditor. Reads every replica of the order, payment and
 * inventory databases directly and checks the design brief's invariants 1 (no double effect,
 * replicas agree after repair) and 2 (no lost effect, conservation of money and stock).
 */
export { auditStack, AuditUnavailableError, DEFAULT_DATABASES } from './src/audit-stack.ts';
export type { AuditStackOptions } from './src/audit-stack.ts';
export { auditSnapshot } from './src/audit-snapshot.ts';
export type {
  DatabaseSnapshot,
  SnapshotAuditOptions,
  StackSnapshot,
} from './src/audit-snapshot.ts';
export { INVARIANT_OF, MERGED } from './src/audit-report.ts';
export type {
  AuditCounts,
  AuditReport,
  DivergentKey,
  EffectKind,
  Invariant,
  OrderStatus,
  ReplicaCoverage,
  Rule,
  ServiceDatabase,
  Violation,
} from './src/audit-report.ts';
export { DEFAULT_DOMAINS } from './src/books.ts';
export type { AuditDomains, EffectEntry } from './src/books.ts';
export { effectOf, findDuplicateEffects, readLedger } from './src/duplicate-effects.ts';
export type { DuplicateEffect, LedgerRecord, LedgerService } from './src/duplicate-effects.ts';
export { mergeReplicas } from './src/replica-merge.ts';
export type { MergedRecords, ReplicaRows, StoredRecord } from './src/replica-merge.ts';
export { readDatabase } from './src/replica-reader.ts';
export type { ReplicaEndpoint } from './src/replica-reader.ts';
export { renderReport } from './src/render-report.ts';
export type { RenderOptions } from './src/render-report.ts';
