import type { GroupLimits, QueuedWrite } from './group-commit.ts';
import { takeGroup } from './group-commit.ts';
import type { WriteOutcome } from './quorum-decision.ts';

/**
 * Group commit for one replica and one domain (ADR 0018): at most one transaction in flight;
 * writes that arrive meanwhile queue and go together in the next one. No timer: a write that
 * finds the lane idle is sent at once, so a lone client pays nothing.
 *
 * `apply` runs one group in one transaction and answers each write's outcome, in group order
 * (they share token and holder, so the fence decides them alike; a transaction of unknown
 * outcome leaves each of its writes unknown). It never rejects.
 *
 * A write still queued when `queueTimeoutMs` passes is taken out and answered by `expired`: it
 * was never sent, so it provably did not apply (like a pool checkout that timed out).
 */
export class WriteLane {
  private readonly queue: Entry[] = [];
  private busy = false;

  constructor(
    private readonly apply: (group: readonly QueuedWrite[]) => Promise<readonly WriteOutcome[]>,
    private readonly limits: GroupLimits,
    private readonly queueTimeoutMs: number,
    private readonly expired: () => WriteOutcome,
  ) {}

  /** Writes waiting for a transaction (not the ones in flight). */
  get queued(): number {
    return this.queue.length;
  }

  /** Whether a transaction of this lane is in flight. */
  get inFlight(): boolean {
    return this.busy;
  }

  submit(write: QueuedWrite): Promise<WriteOutcome> {
    return new Promise((resolve) => {
      const entry: Entry = { write, resolve, timer: undefined };
      this.queue.push(entry);
      if (this.busy) {
        entry.timer = setTimeout(() => this.expire(entry), this.queueTimeoutMs);
        entry.timer.unref?.();
      } else {
        void this.drain();
      }
    });
  }

  private expire(entry: Entry): void {
    const at = this.queue.indexOf(entry);
    if (at < 0) return; // already sent
    this.queue.splice(at, 1);
    entry.resolve(this.expired());
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.queue.length > 0) {
        const n = takeGroup(
          this.queue.map((e) => e.write),
          this.limits,
        );
        const group = this.queue.splice(0, n);
        for (const e of group) clearTimeout(e.timer);
        const outcomes = await this.apply(group.map((e) => e.write));
        group.forEach((e, i) => e.resolve(outcomes[i] ?? this.expired()));
      }
    } finally {
      this.busy = false;
    }
  }
}

interface Entry {
  readonly write: QueuedWrite;
  readonly resolve: (outcome: WriteOutcome) => void;
  timer: NodeJS.Timeout | undefined;
}
