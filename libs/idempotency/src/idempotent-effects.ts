import { fingerprint as fingerprintOf } from '@seamline/contracts';
import type { z } from 'zod';
import type { Decision, FencedEffectWriter, Snapshot } from './effect-writer.ts';
import {
  CorruptRecordError,
  DeadlinePassedError,
  IdempotencyKeyReusedError,
} from './idempotency-errors.ts';
import type { IdempotencyRecord } from './idempotency-record.ts';
import {
  decideReplay,
  idempotencyRecordKey,
  idempotencyRecordSchema,
} from './idempotency-record.ts';

/** Metric hooks; every method is optional and must not throw. */
export interface IdempotencyObserver {
  /** A duplicate was answered from the stored result: no second effect. */
  onDedupHit?(operation: string): void;
  /** A key came back with a different request and was refused. */
  onKeyReused?(operation: string): void;
}

export interface IdempotentEffectsOptions {
  readonly writer: FencedEffectWriter;
  /** @default {} */
  readonly observer?: IdempotencyObserver;
}

/** One effect request, identified by its idempotency key. */
export interface EffectRequest<R> {
  /** Deterministic key of the effect (`sagaId:step:action`). */
  readonly key: string;
  /** Low-cardinality name for metrics (`charge`, `reserve`, ...). */
  readonly operation: string;
  /** The request as received; its fingerprint tells a duplicate from a reused key. */
  readonly payload: unknown;
  /** Every record `decide` reads or writes (the idempotency record is added). */
  readonly keys: readonly string[];
  /** Schema of the result, checked again when a stored result is replayed. */
  readonly result: z.ZodType<R>;
  /** Pure decision on the latest state of `keys`; runs only for a first request. */
  readonly decide: (snapshot: Snapshot) => Decision<R>;
  /**
   * Whether new work may still start (false once the request's deadline passed). Asked under
   * the key's lock, after the stored result was looked up: a stored result is replayed whatever
   * the deadline; without one, a late request is refused with {@link DeadlinePassedError}.
   * @default always true
   */
  readonly mayStart?: () => boolean;
}

export interface EffectOutcome<R> {
  readonly result: R;
  /** True when the answer came from the stored record of an earlier delivery. */
  readonly replayed: boolean;
}

/**
 * The receiver side of every effect: `(key, fingerprint, result)` is written in the same batch
 * (so the same per-replica transaction) as the effect's own records. A duplicate delivery gets
 * the stored result; a duplicate arriving while the first is in flight waits on the key's lock
 * and then replays; a reused key with another request is refused with a terminal error.
 */
export class IdempotentEffects {
  private readonly writer: FencedEffectWriter;
  private readonly observer: IdempotencyObserver;

  constructor(options: IdempotentEffectsOptions) {
    this.writer = options.writer;
    this.observer = options.observer ?? {};
  }

  async run<R>(request: EffectRequest<R>): Promise<EffectOutcome<R>> {
    const idemKey = idempotencyRecordKey(request.key);
    const fp = fingerprintOf(request.payload);
    // A late request can only be answered from its record: lock and read that record alone, so
    // a backlog of expired commands never queues on the effect's own (often hot) records.
    const late = request.mayStart?.() === false;
    const keys = late ? [idemKey] : [idemKey, ...request.keys];
    return this.writer.apply<EffectOutcome<R>>(keys, (snapshot) => {
      const replayed = this.replay(request, idemKey, fp, snapshot);
      if (replayed !== undefined) return { writes: [], result: replayed };
      // Asked again under the lock: the deadline may have passed while waiting for it.
      if (late || request.mayStart?.() === false) throw new DeadlinePassedError(request.key);
      const decision = request.decide(snapshot);
      const record: IdempotencyRecord = { fingerprint: fp, result: decision.result };
      return {
        writes: [...decision.writes, { key: idemKey, value: record }],
        result: { result: decision.result, replayed: false },
      };
    });
  }

  /** The stored answer for the key, if a request with the same fingerprint stored one. */
  private replay<R>(
    request: EffectRequest<R>,
    idemKey: string,
    fp: string,
    snapshot: Snapshot,
  ): EffectOutcome<R> | undefined {
    const stored = parseStored(this.writer.domain, idemKey, snapshot.get(idemKey)?.value);
    const replay = decideReplay(stored, fp);
    if (replay.kind === 'reused') {
      this.observer.onKeyReused?.(request.operation);
      throw new IdempotencyKeyReusedError(request.key, replay.storedFingerprint, fp);
    }
    if (replay.kind !== 'replay') return undefined;
    const parsed = request.result.safeParse(replay.result);
    if (!parsed.success)
      throw new CorruptRecordError(this.writer.domain, idemKey, parsed.error.message);
    this.observer.onDedupHit?.(request.operation);
    return { result: parsed.data, replayed: true };
  }
}

function parseStored(domain: string, key: string, value: unknown): IdempotencyRecord | undefined {
  if (value === undefined) return undefined;
  const parsed = idempotencyRecordSchema.safeParse(value);
  if (!parsed.success) throw new CorruptRecordError(domain, key, parsed.error.message);
  return { fingerprint: parsed.data.fingerprint, result: parsed.data.result };
}
