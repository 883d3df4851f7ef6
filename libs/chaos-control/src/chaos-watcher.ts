/**
 * The service side of chaos control. A process started with chaos enabled builds one watcher,
 * hands `watcher.faults` to its `JetStreamServer`, and starts it on a NATS connection: the
 * watcher follows the rules in the chaos bucket and reports what it saw and did (its tally).
 * Without rules the hooks answer "no fault" and cost one map lookup per delivery.
 */
import { randomInt } from 'node:crypto';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { BusCommand, BusFaults } from '@seamline/bus';
import type { ChaosBucketOptions, ChaosTally } from './chaos-bucket.ts';
import { bucketKeys, chaosBucketName, openChaosBucket, tallyKey } from './chaos-bucket.ts';
import { FaultPlan } from './fault-plan.ts';
import type { FaultTarget } from './fault-plan.ts';
import { describeRule, parseFaultRule } from './fault-rule.ts';

/** The subset of pino's API the watcher logs through. */
export interface ChaosLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface ChaosWatcherOptions {
  /** The service whose commands this process consumes (`payment`). */
  readonly service: string;
  /** This process (`payment-1`); one tally per replica. */
  readonly replica: string;
  /** Seed of the rate draws. @default a random one, logged at start */
  readonly seed?: number;
  /** @default silent */
  readonly log?: ChaosLogger;
  /** @default Date.now */
  readonly clock?: () => number;
  /** A changed tally is written at most this often. @default 200 */
  readonly tallyEveryMs?: number;
  /** An unchanged tally is rewritten this often, so readers can tell the process is alive. @default 1000 */
  readonly heartbeatMs?: number;
}

const SILENT: ChaosLogger = { info: () => {}, warn: () => {} };

export class ChaosWatcher {
  readonly seed: number;
  /** Bus hooks; safe to use before `start` (no rules yet: no faults). */
  readonly faults: BusFaults;
  private readonly plan: FaultPlan;
  private readonly o: Required<Omit<ChaosWatcherOptions, 'seed'>>;
  private kv: KV | undefined;
  private watch: { stop(): void } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private revision = 0;
  /** Newest revision applied per key: a replayed older entry never undoes a newer one. */
  private readonly applied = new Map<string, number>();
  private faultLines = 0;
  private dirty = true;
  private lastWrite = 0;
  private writing: Promise<void> = Promise.resolve();

  constructor(options: ChaosWatcherOptions) {
    this.seed = options.seed ?? randomInt(0, 2 ** 31);
    this.o = {
      service: options.service,
      replica: options.replica,
      log: options.log ?? SILENT,
      clock: options.clock ?? Date.now,
      tallyEveryMs: options.tallyEveryMs ?? 200,
      heartbeatMs: options.heartbeatMs ?? 1000,
    };
    tallyKey(this.o.service, this.o.replica); // validates both names now
    this.plan = new FaultPlan({ seed: this.seed, clock: this.o.clock });
    const target = (cmd: BusCommand<unknown>): FaultTarget => ({
      pattern: cmd.pattern,
      sagaId: cmd.sagaId,
      deadline: cmd.deadline,
    });
    this.faults = {
      beforeHandle: (cmd) => {
        this.dirty = true;
        const fault = this.plan.beforeHandle(target(cmd));
        if (fault !== undefined) this.logFault(cmd, typeof fault === 'string' ? fault : 'delay');
        return fault;
      },
      afterCommit: (cmd) => {
        this.dirty = true;
        const fault = this.plan.afterCommit(target(cmd));
        if (fault !== undefined) this.logFault(cmd, fault);
        return fault;
      },
    };
  }

  /** Loads the current rules (resolves once they apply), then follows changes. */
  async start(nc: NatsConnection, bucket: ChaosBucketOptions = {}): Promise<void> {
    if (this.kv !== undefined) return;
    const kv = await openChaosBucket(nc, bucket);
    this.kv = kv;
    const name = chaosBucketName(bucket.prefix);
    this.o.log.info(
      { seed: this.seed, bucket: name, service: this.o.service },
      `chaos enabled: fault rules from ${name} (seed ${this.seed}; rerun with SEAMLINE_CHAOS_SEED=${this.seed})`,
    );
    // Read what is there now, so start() returns with the rules in force; the watch below
    // replays the same entries (ignored by revision) and then follows every change.
    for (const key of await bucketKeys(nc, name, 'rule.>')) {
      const entry = await kv.get(key);
      if (entry !== null) this.apply(entry);
    }
    const watch = await kv.watch({ key: 'rule.>' });
    this.watch = watch;
    void (async () => {
      for await (const entry of watch) this.apply(entry);
    })().catch((err: unknown) =>
      this.o.log.warn({ err: String(err) }, 'chaos rule watch ended; rules frozen'),
    );
    this.timer = setInterval(() => this.publishTally(), this.o.tallyEveryMs);
    this.timer.unref();
    this.publishTally();
  }

  /** Stops following rules (the current ones stay in force) and writes a last tally. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.watch?.stop();
    this.watch = undefined;
    if (this.kv !== undefined) {
      this.dirty = true;
      this.publishTally();
      await this.writing;
    }
  }

  /** This process's tally right now. */
  tally(): ChaosTally {
    return {
      service: this.o.service,
      replica: this.o.replica,
      seed: this.seed,
      revision: this.revision,
      at: this.o.clock(),
      ...this.plan.tally(),
    };
  }

  private apply(entry: { key: string; revision: number; operation: string; json<T>(): T }): void {
    if ((this.applied.get(entry.key) ?? 0) >= entry.revision) return;
    this.applied.set(entry.key, entry.revision);
    const id = entry.key.slice('rule.'.length);
    if (entry.operation === 'PUT') {
      try {
        const rule = parseFaultRule(entry.json<unknown>());
        this.plan.upsert(rule, entry.revision);
        this.o.log.info(
          { rule, revision: entry.revision },
          `chaos rule set: ${describeRule(rule)}`,
        );
      } catch (err) {
        this.o.log.warn({ key: entry.key, err: String(err) }, 'ignoring a malformed chaos rule');
      }
    } else {
      this.plan.remove(id);
      this.o.log.info({ id, revision: entry.revision }, `chaos rule cleared: ${id}`);
    }
    this.revision = Math.max(this.revision, entry.revision);
    this.dirty = true;
  }

  private publishTally(): void {
    const kv = this.kv;
    const now = this.o.clock();
    if (kv === undefined || (!this.dirty && now - this.lastWrite < this.o.heartbeatMs)) return;
    this.dirty = false;
    this.lastWrite = now;
    const tally = this.tally();
    // One write at a time, in order: a slow write never lets an older tally land last.
    this.writing = this.writing
      .then(() => kv.put(tallyKey(this.o.service, this.o.replica), JSON.stringify(tally)))
      .then(
        () => undefined,
        () => {
          this.dirty = true;
        },
      );
  }

  /** The first faults are logged one by one; under a storm only every 500th. */
  private logFault(cmd: BusCommand<unknown>, fault: string): void {
    this.faultLines += 1;
    if (this.faultLines > 20 && this.faultLines % 500 !== 0) return;
    this.o.log.info(
      {
        fault,
        pattern: cmd.pattern,
        sagaId: cmd.sagaId,
        idempotencyKey: cmd.idempotencyKey,
        attempt: cmd.attempt,
        deliveryCount: cmd.deliveryCount,
        faultsSoFar: this.faultLines,
      },
      `chaos: ${fault} ${cmd.pattern}`,
    );
  }
}
