/**
 * The chaos control of one pipeline run: its services run with SEAMLINE_CHAOS=on and watch the
 * bucket `<run prefix>-chaos`; this handle sets rules there, waits until the services applied
 * them, reads their tallies, and removes the bucket with the run.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ChaosTally, FaultRuleInput, RuleTally, StoredRule } from '@seamline/chaos-control';
import { ChaosControl, chaosBucketName } from '@seamline/chaos-control';
import type { ChaosPipeline } from './chaos-pipeline.ts';

export class PipelineChaos {
  private constructor(
    private readonly nc: NatsConnection,
    readonly control: ChaosControl,
    private readonly prefix: string,
  ) {}

  static async open(p: Pick<ChaosPipeline, 'stack' | 'busPrefix'>): Promise<PipelineChaos> {
    const nc = await connect({ servers: p.stack.nats, name: `chaos-${p.busPrefix}` });
    const control = await ChaosControl.open(nc, {
      prefix: p.busPrefix,
      replicas: Math.min(3, p.stack.nats.length),
    });
    return new PipelineChaos(nc, control, p.busPrefix);
  }

  /** Sets the rules and waits until every watching process of their services applied them. */
  async set(...rules: FaultRuleInput[]): Promise<StoredRule[]> {
    const stored: StoredRule[] = [];
    for (const rule of rules) stored.push(await this.control.set(rule));
    const services = new Set(rules.map((r) => r.pattern.split('.')[0]!));
    const revision = Math.max(...stored.map((s) => s.revision));
    for (const service of services) await this.control.waitApplied(service, revision);
    return stored;
  }

  async clear(service: string): Promise<void> {
    const { revision } = await this.control.clear();
    if (revision > 0) await this.control.waitApplied(service, revision);
  }

  /** One rule's counters summed over the processes of `service`. */
  async ruleTally(service: string, id: string): Promise<RuleTally> {
    const sum: RuleTally = { deliveries: 0, commits: 0, applied: 0 };
    for (const t of await this.control.tallies(service)) {
      const r = t.rules[id];
      if (r === undefined) continue;
      sum.deliveries += r.deliveries;
      sum.commits += r.commits;
      sum.applied += r.applied;
    }
    return sum;
  }

  tallies(service?: string): Promise<ChaosTally[]> {
    return this.control.tallies(service);
  }

  /** Closes the connection; with `drop`, deletes the run's chaos bucket too. */
  async close({ drop = true } = {}): Promise<void> {
    try {
      if (drop) {
        const jsm = await jetstreamManager(this.nc);
        await jsm.streams.delete(`KV_${chaosBucketName(this.prefix)}`).catch(() => false);
      }
    } finally {
      await this.nc.close();
    }
  }
}
