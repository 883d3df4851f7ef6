/**
 * The chaos bucket: a NATS KV bucket `<prefix>-chaos` beside the bus it disturbs. Keys:
 *
 *   rule.<id>                    a fault rule (JSON, see fault-rule.ts); deleting it ends it
 *   tally.<service>.<replica>    what one watching process saw and did, rewritten while it runs
 *
 * Riding on the NATS cluster means a rule reaches every watching process in milliseconds, and
 * the rules outlive the CLI that set them (until cleared, or until the stack goes down).
 */
import { jetstreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';

export interface ChaosBucketOptions {
  /** Bus prefix the bucket belongs to (case-insensitive: `SEAMLINE` and `seamline` agree). @default 'seamline' */
  readonly prefix?: string;
  /** Copies the NATS cluster keeps (1 on a single node). @default 3 */
  readonly replicas?: number;
}

const PREFIX = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;
const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

/** `<prefix>-chaos`, lower-cased so stream-style and subject-style prefixes share one bucket. */
export function chaosBucketName(prefix = 'seamline'): string {
  if (!PREFIX.test(prefix)) throw new RangeError(`chaos bucket prefix must match ${PREFIX}`);
  return `${prefix.toLowerCase()}-chaos`;
}

export const ruleKey = (id: string): string => `rule.${id}`;

export function tallyKey(service: string, replica: string): string {
  for (const [what, value] of [
    ['service', service],
    ['replica', replica],
  ] as const) {
    if (!TOKEN.test(value)) throw new RangeError(`chaos ${what} must match ${TOKEN}: "${value}"`);
  }
  return `tally.${service}.${replica}`;
}

/** Opens the bucket, creating it on first use (history 1: only the current rules matter). */
export async function openChaosBucket(
  nc: NatsConnection,
  options: ChaosBucketOptions = {},
): Promise<KV> {
  const replicas = options.replicas ?? 3;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5) {
    throw new RangeError(`chaos bucket replicas must be 1..5, got ${replicas}`);
  }
  return new Kvm(nc).create(chaosBucketName(options.prefix), { replicas, history: 1 });
}

/**
 * Keys under `filter` (e.g. `tally.>`), deleted ones included. Read from the stream's subject
 * index, not with `kv.keys()`: that iterator waits for as many entries as were pending when it
 * started, and hangs when a key it counted is overwritten meanwhile (tallies are, constantly).
 */
export async function bucketKeys(
  nc: NatsConnection,
  bucket: string,
  filter: string,
): Promise<string[]> {
  const jsm = await jetstreamManager(nc);
  const base = `$KV.${bucket}.`;
  const info = await jsm.streams.info(`KV_${bucket}`, { subjects_filter: `${base}${filter}` });
  return Object.keys(info.state.subjects ?? {})
    .map((subject) => subject.slice(base.length))
    .sort();
}

const count = z.number().int().nonnegative();
const counts = z.record(z.string(), count);

export const tallySchema = z.object({
  service: z.string(),
  replica: z.string(),
  /** The PRNG seed of this process's rule draws (rerun with SEAMLINE_CHAOS_SEED). */
  seed: count,
  /** Highest rule revision (set or clear) this process has applied. */
  revision: count,
  /** When the process wrote this, epoch ms; a stale tally is a process that is gone. */
  at: count,
  /** Deliveries that reached the bus hooks, per pattern (redeliveries included). */
  deliveries: counts,
  /** Handler runs whose reply was about to be published, per pattern. */
  commits: counts,
  rules: z.record(z.string(), z.object({ deliveries: count, commits: count, applied: count })),
});

/** One watching process's report. */
export type ChaosTally = z.infer<typeof tallySchema>;
