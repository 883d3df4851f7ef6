import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';

/** One entry of the election key, as the lease protocol needs it. */
export interface LeaseKvEntry {
  revision: number;
  operation: 'PUT' | 'DEL' | 'PURGE';
  value: Uint8Array;
}

/** A watch over one key: entries in revision order until stopped. */
export type LeaseKvWatch = AsyncIterable<LeaseKvEntry> & { stop(): void };

/**
 * The narrow slice of a NATS KV bucket the election uses. `@nats-io/kv`'s `KV` satisfies
 * it; tests can wrap it (to freeze a node) or fake it.
 */
export interface LeaseKv {
  get(key: string): Promise<LeaseKvEntry | null>;
  /** Compare-and-set on absence (or on a delete marker). */
  create(key: string, data: Uint8Array): Promise<number>;
  /** Compare-and-set on the key's current revision. */
  update(key: string, data: Uint8Array, version: number): Promise<number>;
  delete(key: string, opts?: { previousSeq: number }): Promise<void>;
  watch(opts: { key: string }): Promise<LeaseKvWatch>;
}

/** Options of the election bucket. */
export interface ElectionBucketOptions {
  /** @default 'seamline-election' */
  bucket?: string;
  /** Copies kept by the NATS cluster; 1 only for single-node test servers. @default 3 */
  replicas?: number;
}

/**
 * Opens (creating if needed) the election bucket. History 1: only the current holder matters.
 * No TTL: correctness never depends on the server expiring keys, only on observers' clocks.
 * Reads go through the stream leader, never "direct" gets: a direct get may be answered by any
 * replica, and a replica that is behind (or, after a node was killed and restarted, holds a
 * copy the leader does not) answers a revision the leader's compare-and-set then refuses,
 * forever, so a candidate never takes an abandoned key over.
 */
export async function openElectionBucket(
  nats: NatsConnection,
  options: ElectionBucketOptions = {},
): Promise<LeaseKv> {
  const replicas = options.replicas ?? 3;
  if (!Number.isInteger(replicas) || replicas < 1) {
    throw new RangeError(`replicas must be a positive integer (got ${replicas})`);
  }
  return new Kvm(nats).create(options.bucket ?? 'seamline-election', {
    replicas,
    history: 1,
    allow_direct: false,
  });
}

// JetStream "wrong last sequence" (10071) and its unknown-sequence variant (10164): the
// compare-and-set was refused because someone else wrote. Any other failure leaves the
// outcome unknown.
const CAS_CONFLICT_CODES: ReadonlySet<unknown> = new Set([10071, 10164]);

export function isCasConflict(err: unknown): boolean {
  return CAS_CONFLICT_CODES.has((err as { code?: unknown } | null)?.code);
}
