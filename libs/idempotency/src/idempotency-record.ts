import { z } from 'zod';

/** The stored half of an idempotency key: who asked (fingerprint) and what they were told. */
export interface IdempotencyRecord {
  readonly fingerprint: string;
  readonly result: unknown;
}

/** Wire shape of `idem:<key>` records, checked when read back from a replica. */
export const idempotencyRecordSchema = z.object({
  fingerprint: z.string().min(1),
  result: z.unknown(),
});

/** Where a request's idempotency record lives in its domain. */
export function idempotencyRecordKey(key: string): string {
  return `idem:${key}`;
}

/** What to do with a request, given what its key already holds. */
export type ReplayDecision =
  | { readonly kind: 'first' }
  | { readonly kind: 'replay'; readonly result: unknown }
  | { readonly kind: 'reused'; readonly storedFingerprint: string };

/**
 * The receiver's rule: an unknown key is a first request; a known key with the same fingerprint
 * is a duplicate and gets the stored answer; a known key with another fingerprint is a different
 * request under a reused key and must be refused, never answered with someone else's result.
 */
export function decideReplay(
  stored: IdempotencyRecord | undefined,
  fingerprint: string,
): ReplayDecision {
  if (stored === undefined) return { kind: 'first' };
  if (stored.fingerprint !== fingerprint) {
    return { kind: 'reused', storedFingerprint: stored.fingerprint };
  }
  return { kind: 'replay', result: stored.result };
}
