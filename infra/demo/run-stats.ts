/**
 * What the demo counts while it runs, the progress line it shows, and the latency percentiles
 * of its summary. Pure except for {@link ProgressLine}, which owns the terminal: on a TTY the
 * line is rewritten in place, otherwise one line is printed per interval (logs stay readable).
 */

export class RunStats {
  placed = 0;
  completed = 0;
  cancelled = 0;
  failed = 0;
  readonly cancelledBy = new Map<string, number>();
  /** Milliseconds from sending POST /orders to seeing the order terminal. */
  readonly latencies: number[] = [];

  readonly total: number;

  constructor(total: number) {
    this.total = total;
  }

  /** Accepted and not yet seen terminal (nor given up). */
  inFlight = 0;

  accepted(): void {
    this.placed += 1;
    this.inFlight += 1;
  }

  /** The client stopped waiting for an order (it was refused, or never became terminal). */
  gaveUp(wasAccepted: boolean): void {
    this.failed += 1;
    if (wasAccepted) this.inFlight -= 1;
  }

  finished(status: 'COMPLETED' | 'CANCELLED', reason: string | undefined, ms: number): void {
    this.latencies.push(ms);
    this.inFlight -= 1;
    if (status === 'COMPLETED') {
      this.completed += 1;
      return;
    }
    this.cancelled += 1;
    const why = reason ?? 'UNKNOWN';
    this.cancelledBy.set(why, (this.cancelledBy.get(why) ?? 0) + 1);
  }

  progress(): string {
    return (
      `placed ${this.placed}/${this.total} · completed ${this.completed} · ` +
      `cancelled ${this.cancelled} · in flight ${this.inFlight}` +
      (this.failed > 0 ? ` · gave up ${this.failed}` : '')
    );
  }
}

/** The p-th percentile (0..100) by nearest rank; NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function formatMs(ms: number): string {
  if (Number.isNaN(ms)) return 'n/a';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
}

export class ProgressLine {
  private timer: NodeJS.Timeout | undefined;
  private last = '';
  private readonly out: ProgressOutput;
  private readonly render: () => string;

  constructor(out: ProgressOutput, render: () => string, intervalMs = 1_000) {
    this.out = out;
    this.render = render;
    const everyMs = out.isTTY ? Math.min(intervalMs, 200) : intervalMs;
    this.timer = setInterval(() => this.draw(), everyMs);
    this.timer.unref();
  }

  /** Draws now (on a TTY); a pipe only gets its periodic lines. */
  draw(): void {
    const line = this.render();
    if (this.out.isTTY) {
      if (line !== this.last) this.out.write(`\r\x1b[2K${line}`);
    } else {
      this.out.write(`${line}\n`);
    }
    this.last = line;
  }

  /** Prints the final state on its own line and stops. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const line = this.render();
    this.out.write(this.out.isTTY ? `\r\x1b[2K${line}\n` : `${line}\n`);
  }
}
