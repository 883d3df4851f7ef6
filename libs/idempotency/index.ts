/**
 * @seamline/idempotency: the receiver side of every effect. A single fenced writer per domain
 * decides each effect once and writes it, with its idempotency record, as one quorum batch.
 */
export { FencedEffectWriter } from './src/effect-writer.ts';
export type { Decision, RecordChange, Snapshot } from './src/effect-writer.ts';
export type {
  EffectStore,
  EffectWriterObserver,
  EffectWriterOptions,
} from './src/effect-writer-options.ts';
export { IdempotentEffects } from './src/idempotent-effects.ts';
export type {
  EffectOutcome,
  EffectRequest,
  IdempotencyObserver,
  IdempotentEffectsOptions,
} from './src/idempotent-effects.ts';
export {
  decideReplay,
  idempotencyRecordKey,
  idempotencyRecordSchema,
} from './src/idempotency-record.ts';
export type { IdempotencyRecord, ReplayDecision } from './src/idempotency-record.ts';
export {
  CorruptRecordError,
  DeadlinePassedError,
  EffectWritePendingError,
  IdempotencyError,
  IdempotencyKeyReusedError,
  NotWriterError,
} from './src/idempotency-errors.ts';
export type { IdempotencyErrorCode } from './src/idempotency-errors.ts';
export { KeyedMutex } from './src/keyed-mutex.ts';
export type { CachedRecord } from './src/record-cache.ts';
export { WriterTerms } from './src/writer-term.ts';
export type { TermStore, WriterTermOptions } from './src/writer-term.ts';
