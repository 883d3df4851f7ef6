import type { RecordWrite, Version, VersionedRecord } from '@seamline/quorum-store';
import {
  FencedError,
  IndeterminateWriteError,
  QuorumUnavailableError,
  nextVersion,
} from '@seamline/quorum-store';
import type { EffectWriterOptions, ResolvedEffectWriterOptions } from './effect-writer-options.ts';
import { resolveEffectWriterOptions } from './effect-writer-options.ts';
import { EffectWritePendingError, NotWriterError } from './idempotency-errors.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import { PendingWrites } from './pending-writes.ts';
import type { CachedRecord } from './record-cache.ts';
import { RecordCache } from './record-cache.ts';

/** A record a decision wants written; the writer gives it its version. */
export interface RecordChange {
  readonly key: string;
  readonly value: unknown;
  /** Indexed label; `null` clears it. @default null */
  readonly tag?: string | null;
}

/** The outcome of deciding on a snapshot: the records to write (maybe none) and the answer. */
export interface Decision<R> {
  readonly writes: readonly RecordChange[];
  readonly result: R;
}

/** The records a decision may read, by key; an absent key has no record. */
export type Snapshot = ReadonlyMap<string, CachedRecord>;

/**
 * The single fenced writer of one domain. Every `apply` locks the keys it touches, re-drives any
 * write of them still left indeterminate, reads what the cache does not hold with one quorum read,
 * lets a pure `decide` choose the new records, and writes them as ONE batch (atomic per replica)
 * under the current fencing token. Decisions are thus made once, here, and replicated as data.
 *
 * Lifecycle: `activate(token)` after the token is installed on the replicas; a different token
 * starts a new term with an empty cache. `deactivate()` when the lease is lost.
 */
export class FencedEffectWriter {
  readonly domain: string;
  private readonly o: ResolvedEffectWriterOptions;
  private readonly mutex = new KeyedMutex();
  private readonly cache: RecordCache;
  private readonly pending = new PendingWrites();
  private term: number | undefined;

  constructor(options: EffectWriterOptions) {
    this.o = resolveEffectWriterOptions(options);
    this.domain = this.o.domain;
    this.cache = new RecordCache(this.o.cacheSize);
  }

  /** The token writes carry now; undefined while this process is not the writer. */
  get token(): number | undefined {
    return this.term;
  }

  /** Batches currently left indeterminate (0 when healthy). */
  get pendingWrites(): number {
    return this.pending.batches;
  }

  activate(token: number): void {
    if (this.term !== token) {
      // Another writer may have moved any record since our last term: forget what we knew.
      this.cache.clear();
      this.pending.clear();
    }
    this.term = token;
  }

  deactivate(): void {
    this.term = undefined;
  }

  /**
   * Runs one read-decide-write on `keys`. `decide` sees the latest version of each key and may
   * only write keys from `keys`. Throws {@link NotWriterError} without a token,
   * {@link FencedError} when a newer writer exists, {@link EffectWritePendingError} when the
   * write stayed indeterminate (re-driven by the next call touching these keys), and the store's
   * {@link QuorumUnavailableError} when provably nothing was written.
   */
  async apply<R>(
    keys: readonly string[],
    decide: (snapshot: Snapshot) => Decision<R> | Promise<Decision<R>>,
  ): Promise<R> {
    const token = this.requireToken();
    const release = await this.lock(keys);
    try {
      await this.flushPending(keys, token);
      const snapshot = await this.load(keys, token);
      const decision = await decide(snapshot);
      if (decision.writes.length === 0) return decision.result;
      const allowed = new Set(keys);
      const rows: RecordWrite[] = decision.writes.map((w) => {
        if (!allowed.has(w.key)) throw new Error(`decision wrote ${w.key}, which it did not lock`);
        return {
          key: w.key,
          version: this.versionFor(snapshot.get(w.key)?.version, w.key, token),
          tag: w.tag ?? null,
          value: w.value,
        };
      });
      if (this.term !== token) throw new NotWriterError(this.domain);
      await this.writeDurably(rows, token);
      return decision.result;
    } finally {
      release();
    }
  }

  /** Locks `keys` plus every key of a pending batch touching them, so its re-drive is exclusive. */
  private async lock(keys: readonly string[]): Promise<() => void> {
    for (;;) {
      const wanted = this.withPending(keys);
      const release = await this.mutex.acquire(wanted);
      const now = this.withPending(keys);
      if ([...now].every((k) => wanted.has(k))) return release;
      release();
    }
  }

  private withPending(keys: readonly string[]): Set<string> {
    const all = new Set(keys);
    for (const batch of this.pending.touching(keys)) for (const row of batch) all.add(row.key);
    return all;
  }

  private async flushPending(keys: readonly string[], token: number): Promise<void> {
    for (const batch of this.pending.touching(keys)) {
      this.o.observer.onRedrive?.(this.domain);
      await this.writeDurably(batch, token);
    }
  }

  private async load(keys: readonly string[], token: number): Promise<Map<string, CachedRecord>> {
    const snapshot = new Map<string, CachedRecord>();
    const misses: string[] = [];
    for (const key of new Set(keys)) {
      const hit = this.cache.get(key);
      if (hit === undefined) misses.push(key);
      else snapshot.set(key, hit);
    }
    if (misses.length === 0) return snapshot;
    // Through the fence: a batch of the predecessor that reached one fenced replica before the
    // fence and lands on an unfenced one later collects W acks; a read of the fastest R replicas
    // could miss it and decide the effect a second time.
    const found: Map<string, VersionedRecord> = await this.o.store.readMany(this.domain, misses, {
      fence: token,
    });
    for (const [key, rec] of found) {
      if (rec.version.fence > token)
        throw new FencedError(this.domain, token, rec.version.fence, 'read', false);
      const cached: CachedRecord = { version: rec.version, tag: rec.tag, value: rec.value };
      if (this.term === token) this.cache.set(key, cached);
      snapshot.set(key, cached);
    }
    return snapshot;
  }

  private versionFor(current: Version | undefined, key: string, token: number): Version {
    const next = nextVersion(current, token);
    if (next === undefined)
      throw new FencedError(this.domain, token, current?.fence ?? 0, `record ${key}`, false);
    return next;
  }

  /**
   * Writes one batch, re-trying the SAME rows while the outcome is indeterminate. When it stays
   * indeterminate the batch is parked as pending; when provably nothing applied, the error is
   * rethrown and the decision is simply forgotten (nobody saw it).
   */
  private async writeDurably(rows: readonly RecordWrite[], token: number): Promise<void> {
    let mayHaveApplied = this.pending.touching(rows.map((r) => r.key)).length > 0;
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.o.writeAttempts; attempt++) {
      try {
        await this.o.store.write(this.domain, rows, { token });
        this.pending.settle(rows);
        this.o.observer.onWritten?.(this.domain, rows);
        if (this.term === token) {
          for (const r of rows)
            this.cache.set(r.key, { version: r.version, tag: r.tag ?? null, value: r.value });
        }
        return;
      } catch (err) {
        if (err instanceof FencedError) throw err;
        lastError = err;
        if (!(err instanceof QuorumUnavailableError)) mayHaveApplied = true;
        if (err instanceof IndeterminateWriteError) this.o.observer.onIndeterminate?.(this.domain);
        if (attempt < this.o.writeAttempts)
          await this.o.sleep(this.o.retryDelayMs * 2 ** (attempt - 1));
      }
    }
    if (!mayHaveApplied) throw lastError;
    this.pending.add(rows);
    for (const r of rows)
      this.cache.set(r.key, { version: r.version, tag: r.tag ?? null, value: r.value });
    this.o.observer.onPending?.(this.domain);
    throw new EffectWritePendingError(
      this.domain,
      rows.map((r) => r.key),
      { cause: lastError },
    );
  }

  private requireToken(): number {
    if (this.term === undefined) throw new NotWriterError(this.domain);
    return this.term;
  }
}
