/**
 * Bounds how many messages a consumer handles at once, and lets `close()` wait for the ones in
 * flight. Pulling the next message waits for a free slot, so the consumer never holds more
 * un-acked work than it can run (their ack-wait clocks are ticking).
 */
export class ConcurrencyLimit {
  readonly #limit: number;
  #active = 0;
  readonly #waiters: (() => void)[] = [];
  readonly #running = new Set<Promise<void>>();

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Resolves once a slot is free. */
  async acquire(): Promise<void> {
    if (this.#active < this.#limit) {
      this.#active++;
      return;
    }
    await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /** Runs `task` in an acquired slot and frees it when the task settles (never rejects). */
  run(task: () => Promise<void>, onError: (e: unknown) => void): void {
    const p = (async () => {
      try {
        await task();
      } catch (e) {
        onError(e);
      } finally {
        this.#release();
      }
    })();
    this.#running.add(p);
    void p.finally(() => this.#running.delete(p));
  }

  /** Frees a slot acquired without running a task. */
  release(): void {
    this.#release();
  }

  get active(): number {
    return this.#active;
  }

  /** Resolves when every running task settled, or after `timeoutMs`; true if all settled. */
  async drained(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([Promise.allSettled([...this.#running]).then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  #release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#active--;
  }
}
