import type { FencedEffectWriter } from '@seamline/idempotency';
import type { z } from 'zod';
import type { SeedReport } from './effect-runtime.ts';

/** One record a seed wants to exist. */
export interface SeedRecord {
  readonly key: string;
  readonly value: unknown;
}

/**
 * A service's `POST /admin/seed`: the body it accepts and the records a body asks for.
 * `S` is the parsed body.
 */
export interface SeedSpec<S> {
  /** Validates the request body (strict: an unknown field is a 400 naming it). */
  readonly body: z.ZodType<S>;
  /** The records the seed wants to exist, in write order. */
  readonly records: (seed: S) => readonly SeedRecord[];
  /** Log message of a done seed, e.g. `accounts seeded`. */
  readonly logMessage: string;
}

/** Seed writes go out in batches this big: one quorum read and one quorum write each. */
const BATCH = 250;

/**
 * Creates missing records and leaves existing ones alone (their values carry history), so a
 * re-seed is harmless. It goes through the single writer like any effect: locked, versioned,
 * fenced; an insert-only write could not be used, because a replica that missed a record would
 * take the opening value at a NEWER version than the live one elsewhere.
 */
export async function seedMissing(
  writer: FencedEffectWriter,
  records: readonly SeedRecord[],
): Promise<SeedReport> {
  let created = 0;
  for (let i = 0; i < records.length; i += BATCH) {
    const batch = records.slice(i, i + BATCH);
    created += await writer.apply(
      batch.map((r) => r.key),
      (snapshot) => {
        const writes = batch
          .filter((r) => !snapshot.has(r.key))
          .map((r) => ({ key: r.key, value: r.value }));
        return { writes, result: writes.length };
      },
    );
  }
  return { created, existing: records.length - created };
}
