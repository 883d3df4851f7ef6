/**
 * The operator's side of chaos control (the `npm run chaos -- fault ...` CLI and the scenario
 * scripts): set, list and clear fault rules, read the tallies the watching processes report,
 * and wait until the processes of a service have applied a change.
 */
import { randomBytes } from 'node:crypto';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ChaosBucketOptions, ChaosTally } from './chaos-bucket.ts';
import {
  bucketKeys,
  chaosBucketName,
  openChaosBucket,
  ruleKey,
  tallySchema,
} from './chaos-bucket.ts';
import type { FaultRule, FaultRuleInput } from './fault-rule.ts';
import { parseFaultRule } from './fault-rule.ts';

/** A rule as stored, with the bucket revision that set it. */
export interface StoredRule {
  readonly rule: FaultRule;
  readonly revision: number;
}

/** The watching processes did not confirm a change in time. */
export class ChaosNotAppliedError extends Error {
  readonly code = 'CHAOS_NOT_APPLIED';
  constructor(message: string) {
    super(message);
    this.name = 'ChaosNotAppliedError';
  }
}

export interface WaitAppliedOptions {
  /** @default 10_000 */
  readonly timeoutMs?: number;
  /** A tally older than this belongs to a process that is gone. @default 3_000 */
  readonly staleMs?: number;
  /** @default Date.now */
  readonly clock?: () => number;
}

export class ChaosControl {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly kv: KV,
    private readonly bucketName: string,
  ) {}

  static async open(nc: NatsConnection, bucket: ChaosBucketOptions = {}): Promise<ChaosControl> {
    return new ChaosControl(nc, await openChaosBucket(nc, bucket), chaosBucketName(bucket.prefix));
  }

  get bucket(): string {
    return this.bucketName;
  }

  /** Validates and stores the rule (replacing one with the same id). */
  async set(input: FaultRuleInput, clock: () => number = Date.now): Promise<StoredRule> {
    const rule = parseFaultRule({
      rate: 1,
      createdAt: clock(),
      id: input.id ?? `f-${randomBytes(4).toString('hex')}`,
      ...stripUndefined(input),
    });
    const revision = await this.kv.put(ruleKey(rule.id), JSON.stringify(rule));
    return { rule, revision };
  }

  /** Every stored rule, oldest first; a malformed entry is reported, not hidden. */
  async list(): Promise<StoredRule[]> {
    const out: StoredRule[] = [];
    for (const key of await bucketKeys(this.nc, this.bucketName, 'rule.>')) {
      const entry = await this.kv.get(key);
      if (entry === null || entry.operation !== 'PUT') continue;
      out.push({ rule: parseFaultRule(entry.json<unknown>()), revision: entry.revision });
    }
    return out.sort((a, b) => a.rule.createdAt - b.rule.createdAt || a.revision - b.revision);
  }

  /**
   * Removes one rule, or every rule when `id` is omitted. Returns the removed ids and the
   * highest revision of the removals (to wait on), 0 when nothing was removed.
   */
  async clear(id?: string): Promise<{ cleared: string[]; revision: number }> {
    const ids = id === undefined ? (await this.list()).map((r) => r.rule.id) : [id];
    const cleared: string[] = [];
    let revision = 0;
    for (const rid of ids) {
      const current = await this.kv.get(ruleKey(rid));
      if (current === null || current.operation !== 'PUT') continue;
      await this.kv.delete(ruleKey(rid));
      const marker = await this.kv.get(ruleKey(rid));
      revision = Math.max(revision, marker?.revision ?? 0);
      cleared.push(rid);
    }
    return { cleared, revision };
  }

  /** The latest tally of every process that ever watched (stale ones included). */
  async tallies(service?: string): Promise<ChaosTally[]> {
    const out: ChaosTally[] = [];
    const filter = service === undefined ? 'tally.>' : `tally.${service}.*`;
    for (const key of await bucketKeys(this.nc, this.bucketName, filter)) {
      const entry = await this.kv.get(key);
      if (entry === null || entry.operation !== 'PUT') continue;
      const parsed = tallySchema.safeParse(entry.json<unknown>());
      if (parsed.success) out.push(parsed.data);
    }
    return out.sort((a, b) => a.replica.localeCompare(b.replica));
  }

  /**
   * Waits until every live process of `service` (fresh tally) has applied the bucket up to
   * `revision`, and at least one such process exists. Polls the tallies; never sleeps blindly.
   */
  async waitApplied(
    service: string,
    revision: number,
    options: WaitAppliedOptions = {},
  ): Promise<ChaosTally[]> {
    const clock = options.clock ?? Date.now;
    const staleMs = options.staleMs ?? 3_000;
    const until = clock() + (options.timeoutMs ?? 10_000);
    let live: ChaosTally[] = [];
    for (;;) {
      live = (await this.tallies(service)).filter((t) => clock() - t.at <= staleMs);
      if (live.length > 0 && live.every((t) => t.revision >= revision)) return live;
      if (clock() > until) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new ChaosNotAppliedError(
      live.length === 0
        ? `no ${service} process is watching ${this.bucketName} (is it running with SEAMLINE_CHAOS=on?)`
        : `${service} processes did not apply revision ${revision}: ` +
            live.map((t) => `${t.replica} at ${t.revision}`).join(', '),
    );
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
