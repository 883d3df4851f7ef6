import type { RecordWrite, VersionedRecord } from '@seamline/quorum-store';
import { z } from 'zod';

/**
 * The part of the quorum store an effect writer uses (QuorumStore satisfies it). Narrow on
 * purpose: the writer never scans, never installs fences and never repairs.
 */
export interface EffectStore {
  /** With `fence`, only replicas holding the writer's fence answer (QuorumStore ReadOptions). */
  readMany(
    domain: string,
    keys: readonly string[],
    options?: { fence?: number },
  ): Promise<Map<string, VersionedRecord>>;
  write(
    domain: string,
    rows: readonly RecordWrite[],
    opts: { token: number },
  ): Promise<{ acks: number }>;
}

/** Metric hooks; every method is optional and must not throw. */
export interface EffectWriterObserver {
  /** One store write answered "indeterminate" (it is re-tried with the same versions). */
  onIndeterminate?(domain: string): void;
  /** A batch stayed indeterminate after every attempt and was parked for re-drive. */
  onPending?(domain: string): void;
  /** A parked batch is being re-driven before a new decision. */
  onRedrive?(domain: string): void;
  /**
   * A batch collected its W acks (a first write or a re-drive): its records are in the store.
   * Called on the write path: note the rows and return, do no I/O here.
   */
  onWritten?(domain: string, rows: readonly RecordWrite[]): void;
}

export interface EffectWriterOptions {
  readonly store: EffectStore;
  /** The domain this process is the single writer of (`payment`, `inventory`). */
  readonly domain: string;
  /** Attempts of one batch while its outcome stays indeterminate, before parking it. @default 3 */
  readonly writeAttempts?: number;
  /** First pause between those attempts, doubled each time. @default 25 */
  readonly retryDelayMs?: number;
  /** Records remembered with their latest version (a miss costs one quorum read). @default 100000 */
  readonly cacheSize?: number;
  /** @default {} */
  readonly observer?: EffectWriterObserver;
  /** Pause used between attempts; tests inject an immediate one. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface ResolvedEffectWriterOptions {
  readonly store: EffectStore;
  readonly domain: string;
  readonly writeAttempts: number;
  readonly retryDelayMs: number;
  readonly cacheSize: number;
  readonly observer: EffectWriterObserver;
  readonly sleep: (ms: number) => Promise<void>;
}

const schema = z.object({
  domain: z.string().min(1),
  writeAttempts: z.number().int().min(1).max(100).default(3),
  retryDelayMs: z.number().int().min(0).max(60_000).default(25),
  cacheSize: z.number().int().min(1).default(100_000),
});

/** Validates once, at construction; the error names the offending field. */
export function resolveEffectWriterOptions(
  options: EffectWriterOptions,
): ResolvedEffectWriterOptions {
  const parsed = schema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `invalid effect writer options: ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? ''}`,
    );
  }
  return {
    ...parsed.data,
    store: options.store,
    observer: options.observer ?? {},
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
  };
}
