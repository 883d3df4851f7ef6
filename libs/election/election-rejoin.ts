/**
 * Leaving the lease and campaigning again, as one operation at a time, until it succeeds.
 *
 * A leader that was fenced (or failed its takeover) leaves the lease so that a successor can take
 * it at once, then campaigns again. Every write the fenced leader still had in flight reports the
 * fence, so the request comes in bursts; run side by side, one stop() can interleave with
 * another's start() and a start() that fails (the bucket does not answer while a NATS node is
 * down) leaves the process outside the election for good: alive, ready, never a candidate again.
 * Here requests made while a rejoin is under way join it, and a failed rejoin is retried with a
 * growing pause until it succeeds or the process closes.
 */
export interface Rejoinable {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ElectionRejoinOptions {
  /** First pause after a failed rejoin, ms; doubled per failure up to `maxPauseMs`. */
  readonly pauseMs: number;
  readonly maxPauseMs: number;
  readonly onFailure?: (err: unknown, attempt: number, retryInMs: number) => void;
  /** @default global setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

export class ElectionRejoin {
  private running: Promise<void> | null = null;
  private closed = false;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly election: Rejoinable,
    private readonly o: ElectionRejoinOptions,
  ) {
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** Starts a rejoin, or returns the one under way. Resolves when it succeeded or was closed. */
  request(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.running ??= this.run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** No rejoin starts or retries after this; one under way ends after its current attempt. */
  async close(): Promise<void> {
    this.closed = true;
    await this.running;
  }

  private async run(): Promise<void> {
    for (let attempt = 1; !this.closed; attempt++) {
      try {
        await this.election.stop();
        if (this.closed) return;
        await this.election.start();
        return;
      } catch (err) {
        const pause = Math.min(this.o.maxPauseMs, this.o.pauseMs * 2 ** (attempt - 1));
        this.o.onFailure?.(err, attempt, pause);
        await this.sleep(pause);
      }
    }
  }
}
