import { z } from 'zod';

/**
 * The value stored under an election key. `token` is absent on the write that acquires the
 * lease — the acquirer cannot know the revision before the write — and from the first
 * renewal on carries that acquisition revision, so the token stays constant for a term
 * while the entry's revision moves with every renewal.
 */
export interface LeaseRecord {
  holder: string;
  term: number;
  token?: number;
  /** The holder's configured lease, for operators; observers use their own configuration. */
  leaseMs: number;
}

const wire = z.object({
  holder: z.string().min(1),
  term: z.number().int().positive(),
  token: z.number().int().positive().optional(),
  leaseMs: z.number().positive(),
});

/** Thrown when a KV entry under an election key is not a lease record. */
export class MalformedLeaseRecordError extends Error {
  readonly code = 'MALFORMED_LEASE_RECORD' as const;

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'MalformedLeaseRecordError';
  }
}

export function encodeLeaseRecord(record: LeaseRecord): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(record));
}

export function decodeLeaseRecord(bytes: Uint8Array): LeaseRecord {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (cause) {
    throw new MalformedLeaseRecordError('lease record is not JSON', { cause });
  }
  const parsed = wire.safeParse(json);
  if (!parsed.success) {
    throw new MalformedLeaseRecordError(`lease record is invalid: ${parsed.error.message}`);
  }
  const { holder, term, token, leaseMs } = parsed.data;
  return token === undefined ? { holder, term, leaseMs } : { holder, term, token, leaseMs };
}

/** The fencing token an entry stands for: its own revision if it is the acquiring write. */
export function tokenOf(revision: number, record: LeaseRecord): number {
  return record.token ?? revision;
}
