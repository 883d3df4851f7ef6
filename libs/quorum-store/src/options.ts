import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { GroupLimits } from './group-commit.ts';
import { DEFAULT_GROUP_LIMITS } from './group-commit.ts';
import { checkQuorumSizes } from './quorum-decision.ts';
import type { ReplicaConfig } from './replica.ts';
import type { EjectionOptions } from './replica-health.ts';
import { DEFAULT_EJECTION } from './replica-health.ts';

/** The consistency a store gives its reads. */
export type Consistency = 'quorum' | 'linearizable' | 'eventual';

/** Hooks for metrics; every method is optional and must not throw. */
export interface QuorumObserver {
  /** Latency of one whole quorum operation. */
  onOperation?(
    op: 'write' | 'read' | 'install_fence',
    mode: Consistency,
    seconds: number,
    outcome: string,
  ): void;
  /** One replica's answer to one operation. */
  onReplicaOutcome?(
    op: 'write' | 'read' | 'install_fence',
    replica: string,
    outcome: 'ack' | 'nack' | 'timeout' | 'rejected',
  ): void;
  onRepair?(domain: string, records: number): void;
  onIndeterminate?(op: 'write' | 'install_fence'): void;
  onFencingRejection?(event: {
    domain: string;
    staleToken: number;
    installedToken: number;
    replica: string;
  }): void;
  onEjection?(replica: string, ejected: boolean): void;
  /**
   * One group-commit transaction sent to a replica (ADR 0018): how many writes it carries and how
   * many record rows it upserts (duplicate keys merged). Called whatever its outcome.
   */
  onGroupCommit?(event: { replica: string; domain: string; writes: number; rows: number }): void;
  onDivergence?(domain: string, records: number): void;
  /**
   * A repair group (whole batches) that a replica's fence refused: a batch of an older token that
   * sits on fewer than W replicas never spreads (batch-decision.ts, ADR 0015).
   */
  onRepairRefused?(event: {
    domain: string;
    replica: string;
    installedToken: number;
    batches: readonly { id: string; token: number }[];
  }): void;
}

export interface QuorumStoreOptions {
  /** The N independent PostgreSQL instances. */
  readonly replicas: readonly ReplicaConfig[];
  /** The database this store owns on every instance (one per service); created when missing. */
  readonly database: string;
  /** W: acks a write needs. @default 2 */
  readonly writeQuorum?: number;
  /** R: answers a read needs. @default 2 */
  readonly readQuorum?: number;
  /**
   * `quorum`: highest of R, stale replicas repaired in the background.
   * `linearizable`: the value read is written back to W replicas before the read returns (ABD).
   * `eventual`: the only mode that accepts R + W <= N.
   * @default 'quorum'
   */
  readonly consistency?: Consistency;
  /** Hard limit on one replica's answer; a slower replica counts as failed. @default 1000 */
  readonly replicaTimeoutMs?: number;
  /** Connections per replica. @default 10 */
  readonly poolSize?: number;
  /** @default { failuresToEject: 3, baseBackoffMs: 500, maxBackoffMs: 10000 } */
  readonly ejection?: Partial<EjectionOptions>;
  readonly observer?: QuorumObserver;
  /**
   * Who writes through this store: recorded with every fence it installs and carried by every
   * fenced write, so that a replica refuses this store's token when another holder installed the
   * same one. Unique per writer process. @default a random UUID per store
   */
  readonly holder?: string;
  /**
   * Group commit (ADR 0018): per replica and domain at most one write transaction in flight; the
   * writes arriving meanwhile go together in the next one. `false` gives every write its own
   * transaction, all in parallel. @default true
   */
  readonly groupCommit?: boolean;
  /** Bounds on one group transaction. @default { maxWrites: 64, maxRows: 2000 } */
  readonly groupCommitLimits?: Partial<GroupLimits>;
  /** Anti-entropy: changes read per page of one replica's change log. @default 500 */
  readonly antiEntropyPageSize?: number;
  /**
   * Anti-entropy: a change younger than this may still have a concurrent transaction with a
   * lower change sequence in flight, so the watermark does not pass it yet. @default 5000
   */
  readonly antiEntropySettleMs?: number;
  /** Milliseconds clock, for ejection backoff. @default Date.now */
  readonly clock?: () => number;
  /**
   * Domains whose repair spreads a stale writer's batch past a newer fence (whole, never split).
   * Only for a domain whose writer derives every write of a record from a fenced read of that
   * same record and nothing else (the order domain: one saga per record, its immutable response
   * row): a successor then either read the batch and built on it, or will overwrite it with a
   * newer version. Every other domain refuses such a batch (ADR 0015): there a successor may
   * have decided one record from another one the batch changed (a balance and its ledger entry).
   * @default []
   */
  readonly spreadStaleBatches?: readonly string[];
  /**
   * Test switches that turn a protection off so its test can be shown to fail. Never set in
   * production code.
   */
  readonly unsafe?: { readonly fencing?: boolean; readonly writeBack?: boolean };
}

export interface ResolvedOptions {
  readonly replicas: readonly ReplicaConfig[];
  readonly database: string;
  readonly writeQuorum: number;
  readonly readQuorum: number;
  readonly consistency: Consistency;
  readonly replicaTimeoutMs: number;
  readonly poolSize: number;
  readonly ejection: EjectionOptions;
  readonly observer: QuorumObserver;
  readonly holder: string;
  readonly clock: () => number;
  readonly antiEntropyPageSize: number;
  readonly antiEntropySettleMs: number;
  readonly fencing: boolean;
  readonly writeBack: boolean;
  readonly spreadStaleBatches: ReadonlySet<string>;
  readonly groupCommit: boolean;
  readonly groupCommitLimits: GroupLimits;
}

const schema = z.object({
  replicas: z
    .array(z.object({ name: z.string().min(1), url: z.string().url() }))
    .min(1)
    .refine(
      (rs) => new Set(rs.map((r) => r.name)).size === rs.length,
      'replica names must be unique',
    ),
  database: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case PostgreSQL identifier'),
  writeQuorum: z.number().int().positive().default(2),
  readQuorum: z.number().int().positive().default(2),
  consistency: z.enum(['quorum', 'linearizable', 'eventual']).default('quorum'),
  replicaTimeoutMs: z.number().int().positive().default(1000),
  poolSize: z.number().int().positive().default(10),
  holder: z.string().min(1).max(200).optional(),
  antiEntropyPageSize: z.number().int().positive().default(500),
  antiEntropySettleMs: z.number().int().nonnegative().default(5000),
  groupCommit: z.boolean().default(true),
  groupCommitLimits: z
    .object({
      maxWrites: z.number().int().positive().optional(),
      maxRows: z.number().int().positive().optional(),
    })
    .optional(),
});

/** Validates options once, at start-up; the error names the offending field. */
export function resolveOptions(options: QuorumStoreOptions): ResolvedOptions {
  const parsed = schema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `invalid quorum store options: ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? ''}`,
    );
  }
  const o = parsed.data;
  const refused = checkQuorumSizes(o.replicas.length, o.writeQuorum, o.readQuorum, o.consistency);
  if (refused !== undefined) throw new Error(`invalid quorum store options: ${refused}`);
  return {
    ...o,
    ejection: { ...DEFAULT_EJECTION, ...options.ejection },
    observer: options.observer ?? {},
    holder: o.holder ?? randomUUID(),
    clock: options.clock ?? Date.now,
    fencing: options.unsafe?.fencing ?? true,
    writeBack: options.unsafe?.writeBack ?? true,
    spreadStaleBatches: new Set(options.spreadStaleBatches ?? []),
    groupCommitLimits: {
      maxWrites: o.groupCommitLimits?.maxWrites ?? DEFAULT_GROUP_LIMITS.maxWrites,
      maxRows: o.groupCommitLimits?.maxRows ?? DEFAULT_GROUP_LIMITS.maxRows,
    },
  };
}
