/**
 * The chaos control of one pipeline run: its services run with SEAMLINE_CHAOS=on and watch the
 * bucket `<run prefix>-chaos`; this handle sets rules there, waits until the services applied
 * them, reads their tallies, and removes the bucket with the run.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ChaosTally, FaultRuleInput, RuleTally, StoredRule } from '@seamline/chaos-control';
import { ChaosControl, chaosBucketName, FaultRuleError } from '@seamline/chaos-control';
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

  /**
   * Sets one rule and confirms it without insisting: a rule is in force once stored, and a
   * process that is down (killed by the same run) reads the rules when it starts. `confirmed`
   * says whether the service's live processes were seen applying it within `confirmMs`. A
   * store that times out (a NATS node of the bucket's stream just died) is tried again until
   * `storeMs` has passed.
   */
  async add(
    rule: FaultRuleInput,
    { confirmMs = 5_000, storeMs = 15_000 } = {},
  ): Promise<{ stored: StoredRule; confirmed: boolean }> {
    const stored = await retrying(() => this.control.set(rule), storeMs);
    const confirmed = await this.confirm(rule.pattern, stored.revision, confirmMs);
    return { stored, confirmed };
  }

  /** Removes one rule; stored and confirmed like {@link add}. */
  async remove(
    id: string,
    pattern: string,
    { confirmMs = 5_000, storeMs = 15_000 } = {},
  ): Promise<boolean> {
    const { revision } = await retrying(() => this.control.clear(id), storeMs);
    return revision === 0 || this.confirm(pattern, revision, confirmMs);
  }

  /** False when not confirmed in time, or when reading the tallies failed (a NATS node down). */
  private async confirm(pattern: string, revision: number, timeoutMs: number): Promise<boolean> {
    try {
      await this.control.waitApplied(pattern.split('.')[0]!, revision, { timeoutMs });
      return true;
    } catch {
      return false;
    }
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

/** Tries `op` again after any failure but a malformed rule, until `timeoutMs` has passed. */
async function retrying<T>(op: () => Promise<T>, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await op();
    } catch (err) {
      if (err instanceof FaultRuleError || Date.now() > until) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
