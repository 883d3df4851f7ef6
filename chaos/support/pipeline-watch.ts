/**
 * What a long chaos run samples while it runs, because the processes it kills take their
 * counters with them: the fencing tokens the order replicas lead with (one per leader term),
 * and every service process's `seamline_fencing_rejections_total`, kept per process (name and
 * pid) so that a restart does not reset the run's count. A paused process simply misses a
 * sample.
 */
import { readStatus } from '../../infra/stack/index.ts';
import type { ChaosPipeline } from './chaos-pipeline.ts';
import { sumSamples } from './metrics-text.ts';
import { orderReplicas } from './order-leader.ts';

export interface WatchReport {
  /** Every leader token seen, ascending. */
  readonly leaderTokens: readonly number[];
  /** Fencing rejections counted by the run's processes, per service kind. */
  readonly fencingRejections: { order: number; payment: number; inventory: number };
}

export class PipelineWatch {
  private readonly tokens = new Set<number>();
  /** `<name>:<pid>` -> highest count seen. */
  private readonly rejections = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<void> | undefined;

  constructor(
    private readonly p: ChaosPipeline,
    private readonly probeTimeoutMs = 400,
  ) {}

  start(intervalMs = 500): void {
    if (this.timer !== undefined) return;
    void this.tick();
    this.timer = setInterval(() => void this.tick(), intervalMs);
  }

  /** Stops sampling after one last sample. */
  async stop(): Promise<WatchReport> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.busy;
    await this.sample();
    return this.report();
  }

  report(): WatchReport {
    const sum = (prefix: string) =>
      [...this.rejections.entries()]
        .filter(([key]) => key.startsWith(prefix))
        .reduce((total, [, n]) => total + n, 0);
    return {
      leaderTokens: [...this.tokens].sort((a, b) => a - b),
      fencingRejections: {
        order: sum(`${this.p.runId}-order-`),
        payment: sum(this.p.payment.name),
        inventory: sum(this.p.inventory.name),
      },
    };
  }

  private async tick(): Promise<void> {
    if (this.busy !== undefined) return;
    this.busy = this.sample()
      .catch(() => {})
      .finally(() => {
        this.busy = undefined;
      });
    await this.busy;
  }

  private async sample(): Promise<void> {
    const replicas = await orderReplicas(this.p, this.probeTimeoutMs).catch(() => []);
    for (const r of replicas) if (r.token !== null) this.tokens.add(r.token);
    const pids = new Map(readStatus(this.p.stackOptions).processes.map((r) => [r.name, r.pid]));
    const services = [...this.p.orders, this.p.payment, this.p.inventory];
    await Promise.all(
      services.map(async (s) => {
        const count = await this.rejectionsOf(s.url);
        if (count === undefined) return;
        const key = `${s.name}:${pids.get(s.name) ?? 0}`;
        this.rejections.set(key, Math.max(this.rejections.get(key) ?? 0, count));
      }),
    );
  }

  private async rejectionsOf(url: string): Promise<number | undefined> {
    try {
      const res = await fetch(`${url}/metrics`, {
        signal: AbortSignal.timeout(this.probeTimeoutMs),
      });
      if (!res.ok) return undefined;
      return sumSamples(await res.text(), 'seamline_fencing_rejections_total');
    } catch {
      return undefined;
    }
  }
}
