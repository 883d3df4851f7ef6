import type { LeaseKv, LeaseKvEntry, LeaseKvWatch } from './lease-kv.ts';

// An in-memory stand-in for one NATS KV bucket with the same compare-and-set rules: a
// global revision counter, create only on absence or a delete marker, update and delete only
// on the current revision. Test support for unit tests of LeaderElection; not exported.

export class CasConflict extends Error {
  readonly code = 10071;
  constructor(key: string) {
    super(`wrong last sequence for ${key}`);
  }
}

export class MemoryLeaseKv implements LeaseKv {
  revision = 0;
  readonly entries = new Map<string, LeaseKvEntry>();
  private readonly log: { key: string; entry: LeaseKvEntry }[] = [];
  private readonly watchers = new Set<{ key: string; push: (e: LeaseKvEntry) => void }>();

  /** A view whose writes hang while `stalled()` is true (a stalled client or link). */
  client(stalled: () => boolean): LeaseKv {
    const hang = async () => {
      if (stalled()) await new Promise<never>(() => {});
    };
    return {
      get: (k) => this.get(k),
      create: async (k, d) => (await hang(), this.create(k, d)),
      update: async (k, d, v) => (await hang(), this.update(k, d, v)),
      delete: async (k, o) => (await hang(), this.delete(k, o)),
      watch: (o) => this.watch(o),
    };
  }

  async get(key: string): Promise<LeaseKvEntry | null> {
    return this.entries.get(key) ?? null;
  }

  async create(key: string, data: Uint8Array): Promise<number> {
    const current = this.entries.get(key);
    if (current !== undefined && current.operation === 'PUT') throw new CasConflict(key);
    return this.append(key, 'PUT', data);
  }

  async update(key: string, data: Uint8Array, version: number): Promise<number> {
    if (this.entries.get(key)?.revision !== version) throw new CasConflict(key);
    return this.append(key, 'PUT', data);
  }

  async delete(key: string, opts?: { previousSeq: number }): Promise<void> {
    if (opts !== undefined && this.entries.get(key)?.revision !== opts.previousSeq) {
      throw new CasConflict(key);
    }
    this.append(key, 'DEL', new Uint8Array());
  }

  /**
   * Forgets every write after `revision`, as a stream does when a majority of its nodes crash
   * before syncing: the next write reuses the revisions it had handed out. Watches see nothing.
   */
  loseWritesAfter(revision: number): void {
    this.log.splice(this.log.findIndex((w) => w.entry.revision > revision) >>> 0);
    this.entries.clear();
    for (const w of this.log) this.entries.set(w.key, w.entry);
    this.revision = revision;
  }

  /** An unconditional write, as an intruder or an operator would make. */
  put(key: string, data: Uint8Array): number {
    return this.append(key, 'PUT', data);
  }

  async watch(opts: { key: string }): Promise<LeaseKvWatch> {
    const queue: LeaseKvEntry[] = [];
    let wake: (() => void) | null = null;
    let stopped = false;
    const watcher = {
      key: opts.key,
      push: (e: LeaseKvEntry) => {
        queue.push(e);
        wake?.();
      },
    };
    const initial = this.entries.get(opts.key);
    if (initial !== undefined) queue.push(initial);
    this.watchers.add(watcher);
    const watchers = this.watchers;
    return {
      stop: () => {
        stopped = true;
        watchers.delete(watcher);
        wake?.();
      },
      async *[Symbol.asyncIterator]() {
        while (!stopped) {
          const next = queue.shift();
          if (next !== undefined) yield next;
          else await new Promise<void>((r) => (wake = r));
          wake = null;
        }
      },
    };
  }

  private append(key: string, operation: 'PUT' | 'DEL', value: Uint8Array): number {
    this.revision += 1;
    const entry: LeaseKvEntry = { revision: this.revision, operation, value };
    this.entries.set(key, entry);
    this.log.push({ key, entry });
    for (const w of this.watchers) if (w.key === key) w.push(entry);
    return this.revision;
  }
}
