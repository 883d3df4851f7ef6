import { finitePositive, integerAtLeast, isFunction } from './option-checks.ts';

/** Called once per key when the counter forgets it, with the key's final counts. */
export type AttemptsForgotten = (
  key: string,
  total: number,
  byLayer: Readonly<Record<string, number>>,
) => void;

/** Options of {@link AttemptCounter}; validated once in the constructor. */
export interface AttemptCounterOptions {
  /** Most keys kept; the least recently touched is evicted first. @default 10_000 */
  maxKeys?: number;
  /** A key untouched for this long is forgotten, ms. @default 600_000 */
  ttlMs?: number;
  /** Injected clock, epoch ms. @default Date.now */
  clock?: () => number;
  /**
   * Told each key's final totals when it is evicted or expires: the moment a key's attempts
   * can be observed as one sample. Must not throw. @default none
   */
  onForget?: AttemptsForgotten;
}

interface Entry {
  total: number;
  byLayer: Map<string, number>;
  touchedAt: number;
}

/**
 * Counts physical attempts per logical effect (idempotency key) across every layer that
 * retries it: client retry x orchestrator retry x bus redelivery. Layers multiply, so a
 * per-layer limit alone says nothing about what the downstream really sees; this does.
 *
 * Memory is bounded: an LRU of at most `maxKeys` keys, each forgotten after `ttlMs` idle.
 * A forgotten key restarts from zero, which under-counts but never blocks work. Every key
 * leaves through `onForget` exactly once per life, so a key's attempts are known only once
 * it has been idle for `ttlMs` (or pushed out): that is when its sample is final.
 */
export class AttemptCounter {
  readonly maxKeys: number;
  readonly ttlMs: number;
  private readonly clock: () => number;
  private readonly onForget: AttemptsForgotten | undefined;
  // Map iteration order is insertion order: re-inserting on touch makes the first key the
  // least recently used one, so eviction is O(1) per key.
  private readonly entries = new Map<string, Entry>();

  constructor(options: AttemptCounterOptions = {}) {
    this.maxKeys = integerAtLeast('maxKeys', options.maxKeys ?? 10_000, 1);
    this.ttlMs = finitePositive('ttlMs', options.ttlMs ?? 600_000);
    this.clock = options.clock ?? Date.now;
    isFunction('clock', this.clock);
    if (options.onForget !== undefined) isFunction('onForget', options.onForget);
    this.onForget = options.onForget;
  }

  /** Records one attempt of `key` made by `layer`; returns the key's total so far. */
  record(key: string, layer: string): number {
    const now = this.clock();
    this.expire(now);
    const entry = this.live(key, now) ?? { total: 0, byLayer: new Map(), touchedAt: now };
    this.entries.delete(key);
    entry.total += 1;
    entry.byLayer.set(layer, (entry.byLayer.get(layer) ?? 0) + 1);
    entry.touchedAt = now;
    this.entries.set(key, entry);
    while (this.entries.size > this.maxKeys) {
      const oldest = this.entries.entries().next();
      if (oldest.done === true) break;
      this.forget(oldest.value[0], oldest.value[1]);
    }
    return entry.total;
  }

  /** Attempts recorded for `key` over all layers (0 if unknown or forgotten). */
  attempts(key: string): number {
    return this.live(key)?.total ?? 0;
  }

  /** Attempts recorded for `key` per layer. */
  attemptsByLayer(key: string): Record<string, number> {
    const entry = this.live(key);
    return entry === undefined ? {} : Object.fromEntries(entry.byLayer);
  }

  /** Keys currently remembered. */
  get size(): number {
    this.expire(this.clock());
    return this.entries.size;
  }

  /**
   * Forgets every key idle for `ttlMs` now. Keys also expire lazily on the next `record`, but
   * an idle process records nothing: services call this from an unref'd interval so that each
   * key's `onForget` comes at most one interval after its ttl.
   */
  sweep(): void {
    this.expire(this.clock());
  }

  private live(key: string, now = this.clock()): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (now - entry.touchedAt >= this.ttlMs) {
      this.forget(key, entry);
      return undefined;
    }
    return entry;
  }

  // LRU order is also touch order, so expired keys are a prefix: stop at the first live one.
  // (A clock that steps back can hide an expired key behind a live one; `live` catches it.)
  private expire(now: number): void {
    for (const [key, entry] of this.entries) {
      if (now - entry.touchedAt < this.ttlMs) return;
      this.forget(key, entry);
    }
  }

  // Delete first: a callback that records (or reads) must see the key gone.
  private forget(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.onForget?.(key, entry.total, Object.fromEntries(entry.byLayer));
  }
}
