/**
 * In-process locks on sets of keys. A holder of a set runs alone on every key of it; sets are
 * always acquired in sorted order, so two holders of overlapping sets can never deadlock.
 *
 * This is what makes read-decide-write atomic for a single writer: the quorum store offers no
 * compare-and-set, and the writer's token only fences other processes, not its own concurrency.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  /** Resolves with a release function once every key is held; the release is idempotent. */
  async acquire(keys: Iterable<string>): Promise<() => void> {
    const sorted = [...new Set(keys)].sort();
    const releases: (() => void)[] = [];
    try {
      for (const key of sorted) releases.push(await this.acquireOne(key));
    } catch (err) {
      for (const r of releases.reverse()) r();
      throw err;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const r of releases.reverse()) r();
    };
  }

  /** Number of keys currently held or waited for (for tests and leak checks). */
  get size(): number {
    return this.tails.size;
  }

  private async acquireOne(key: string): Promise<() => void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    return () => {
      release();
      // Only the last waiter clears the entry; a later waiter has replaced the tail already.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }
}
