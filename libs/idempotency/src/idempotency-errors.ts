/**
 * What the caller of an idempotent effect must do, by class (never by message):
 * - {@link IdempotencyKeyReusedError}: terminal. The key already names a different request; no
 *   retry can ever succeed, the sender has a bug.
 * - {@link NotWriterError}: retryable. This process holds no writer token right now (not elected
 *   yet, or lost the lease); another delivery, maybe to another process, may succeed.
 * - {@link EffectWritePendingError}: retryable. The effect was decided and its write may have
 *   applied on fewer than W replicas; the next attempt re-drives that same write first.
 * - {@link CorruptRecordError}: terminal. A stored record does not parse; a human must look.
 * - {@link DeadlinePassedError}: terminal. The key has no stored result and the request's
 *   deadline passed before it could start, so this delivery started nothing. It says nothing
 *   of other deliveries: the sender treats the effect as possibly applied and compensates it.
 */
export type IdempotencyErrorCode =
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'NOT_WRITER'
  | 'EFFECT_WRITE_PENDING'
  | 'CORRUPT_RECORD'
  | 'DEADLINE_EXCEEDED';

export abstract class IdempotencyError extends Error {
  abstract readonly code: IdempotencyErrorCode;
  abstract readonly retryable: boolean;
}

export class IdempotencyKeyReusedError extends IdempotencyError {
  readonly code = 'IDEMPOTENCY_KEY_REUSED' as const;
  readonly retryable = false;
  constructor(
    readonly key: string,
    readonly storedFingerprint: string,
    readonly fingerprint: string,
  ) {
    super(
      `idempotency key ${key} was already used for a different request (stored fingerprint ${storedFingerprint.slice(0, 12)}, this one ${fingerprint.slice(0, 12)})`,
    );
    this.name = 'IdempotencyKeyReusedError';
  }
}

export class NotWriterError extends IdempotencyError {
  readonly code = 'NOT_WRITER' as const;
  readonly retryable = true;
  constructor(readonly domain: string) {
    super(`this process holds no writer token for domain ${domain}`);
    this.name = 'NotWriterError';
  }
}

export class EffectWritePendingError extends IdempotencyError {
  readonly code = 'EFFECT_WRITE_PENDING' as const;
  readonly retryable = true;
  constructor(
    readonly domain: string,
    readonly keys: readonly string[],
    options?: ErrorOptions,
  ) {
    super(
      `write of ${keys.length} record(s) in ${domain} is still indeterminate; it will be re-driven before any other write to them`,
      options,
    );
    this.name = 'EffectWritePendingError';
  }
}

export class CorruptRecordError extends IdempotencyError {
  readonly code = 'CORRUPT_RECORD' as const;
  readonly retryable = false;
  constructor(
    readonly domain: string,
    readonly key: string,
    reason: string,
  ) {
    super(`record ${domain}/${key} does not parse: ${reason}`);
    this.name = 'CorruptRecordError';
  }
}

export class DeadlinePassedError extends IdempotencyError {
  readonly code = 'DEADLINE_EXCEEDED' as const;
  readonly retryable = false;
  constructor(readonly key: string) {
    super(`deadline passed before ${key} could start, and no earlier delivery stored a result`);
    this.name = 'DeadlinePassedError';
  }
}
