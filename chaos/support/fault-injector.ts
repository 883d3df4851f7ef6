/**
 * Runs a fault schedule (fault-schedule.ts) against a chaos pipeline. Each fault is its own
 * task: it starts at its time, holds for its duration counted from the moment it took effect
 * (so a leader pause really outlasts the lease, however long finding the leader took), then
 * ends; the faults of a window run side by side. Every signal and restart goes through the
 * supervisor of the pipeline's own stack (its root and port offset). What each fault hit and
 * when it really started and ended is recorded, and `restore` puts back whatever is still
 * broken when a run is cut short: no paused process, no node down, no rule left behind.
 *
 * A window's faults are meant to be in force together. On a loaded machine one of them can
 * start late (it waits for the previous fault of its class, a slow restart); its partners then
 * hold on past their duration until it took effect (or failed to), plus `minOverlapMs`, so the
 * window still combines its faults instead of running them one after the other.
 */
import { restartProcess, signalProcess, waitFor } from '../../infra/stack/index.ts';
import type { ChaosPipeline } from './chaos-pipeline.ts';
import type { ScheduledFault } from './fault-schedule.ts';
import { faultTarget } from './fault-schedule.ts';
import { waitForOrderLeader } from './order-leader.ts';
import type { PipelineChaos } from './pipeline-chaos.ts';

export interface InjectedFault {
  readonly fault: ScheduledFault;
  /** What it hit at run time: the leader's name and token, a node, a rule. */
  target: string;
  /** Epoch ms when the fault took effect; unset when it never did. */
  startedAt?: number;
  /** Epoch ms when the fault was undone (a restarted process is ready again). */
  endedAt?: number;
  /** Why it did not start, or did not end cleanly. */
  error?: string;
  /** Starts a restarted process needed: more than 1 when it died while starting. */
  starts?: number;
}

interface Begun {
  readonly target: string;
  readonly startedAt: number;
  /**
   * Undoes the fault; resolves once the target is back (ready, resumed, rule removed), with
   * the number of starts a restart took.
   */
  readonly end: () => Promise<number | void>;
}

export interface FaultInjectorOptions {
  /** How long a fault on the order leader waits for one to exist. @default 20_000 */
  readonly leaderTimeoutMs?: number;
  /** How long payment or inventory may take to be revived and ready. @default 120_000 */
  readonly reviveTimeoutMs?: number;
  /**
   * Starts of a restarted process before giving up: like any process supervisor, start again a
   * process that died while starting (a service that loses NATS mid-start exits). @default 3
   */
  readonly maxStarts?: number;
  /** How long a window's faults stay in force together after its last one started. @default 1_000 */
  readonly minOverlapMs?: number;
  readonly log?: (line: string) => void;
}

/**
 * Faults that must never be in force together, whatever the schedule: a slow restart can run
 * a fault past its window, and the next window's fault of the same class then waits for it
 * (two NATS nodes or two PostgreSQL replicas down would take the quorum with them).
 */
function exclusionClass(f: ScheduledFault): string {
  switch (f.kind) {
    case 'pause-leader':
    case 'kill-leader':
      return 'order-leader';
    case 'drop-reply':
    case 'fail':
    case 'delay':
      return `rule ${f.pattern}`;
    default:
      return f.kind;
  }
}

export class FaultInjector {
  private readonly active = new Map<string, Begun>();
  /** Per exclusion class, resolves when the last fault of that class is over. */
  private readonly classes = new Map<string, Promise<void>>();
  private readonly log: (line: string) => void;

  constructor(
    private readonly p: ChaosPipeline,
    private readonly chaos: PipelineChaos,
    private readonly o: FaultInjectorOptions = {},
  ) {
    this.log = o.log ?? (() => {});
  }

  /** Per fault id: settles once that fault took effect or gave up trying. */
  private readonly starts = new Map<
    string,
    { settled: Promise<number>; settle: (at: number) => void }
  >();

  /** Runs every fault at `t0 + atMs`; resolves when the last one has ended. */
  async run(schedule: readonly ScheduledFault[], t0: number): Promise<InjectedFault[]> {
    for (const f of schedule) {
      let settle!: (at: number) => void;
      const settled = new Promise<number>((resolve) => (settle = resolve));
      this.starts.set(f.id, { settled, settle });
    }
    return Promise.all(schedule.map((f) => this.one(f, schedule, t0)));
  }

  /**
   * Resolves once every other fault of `fault`'s window took effect (or failed to) and
   * `minOverlapMs` passed since the last of them did. Faults of the same exclusion class are
   * not waited for: they can never be in force together.
   */
  private async partnersStarted(
    fault: ScheduledFault,
    schedule: readonly ScheduledFault[],
  ): Promise<void> {
    const partners = schedule.filter(
      (f) =>
        f.window === fault.window &&
        f.id !== fault.id &&
        exclusionClass(f) !== exclusionClass(fault),
    );
    const times = await Promise.all(partners.map((f) => this.starts.get(f.id)!.settled));
    const last = Math.max(0, ...times);
    await sleep(last + (this.o.minOverlapMs ?? 1_000) - Date.now());
  }

  /** Ends every fault still in force (after an error or an interrupted run). */
  async restore(): Promise<void> {
    const left = [...this.active.entries()];
    this.active.clear();
    for (const [id, begun] of left) {
      await begun.end().catch((err: unknown) => this.log(`${id}: could not undo: ${String(err)}`));
    }
  }

  private async one(
    fault: ScheduledFault,
    schedule: readonly ScheduledFault[],
    t0: number,
  ): Promise<InjectedFault> {
    await sleep(t0 + fault.atMs - Date.now());
    const cls = exclusionClass(fault);
    const previous = this.classes.get(cls) ?? Promise.resolve();
    let over!: () => void;
    this.classes.set(cls, new Promise<void>((resolve) => (over = resolve)));
    try {
      await previous;
      return await this.inject(fault, schedule, t0);
    } finally {
      // Never leave a partner waiting, whatever happened to this fault.
      this.starts.get(fault.id)?.settle(Date.now());
      over();
    }
  }

  private async inject(
    fault: ScheduledFault,
    schedule: readonly ScheduledFault[],
    t0: number,
  ): Promise<InjectedFault> {
    const record: InjectedFault = { fault, target: faultTarget(fault) };
    const at = (ms: number) => `+${((ms - t0) / 1000).toFixed(1)} s`;
    let begun: Begun;
    try {
      begun = await this.begin(fault);
    } catch (err) {
      record.error = `did not start: ${message(err)}`;
      this.log(`${at(Date.now())} ${fault.id} ${fault.kind} ${record.error}`);
      return record;
    }
    this.starts.get(fault.id)?.settle(begun.startedAt);
    this.active.set(fault.id, begun);
    record.target = begun.target;
    record.startedAt = begun.startedAt;
    this.log(`${at(begun.startedAt)} ${fault.id} ${fault.kind} on ${begun.target}`);
    await sleep(begun.startedAt + fault.durationMs - Date.now());
    await this.partnersStarted(fault, schedule);
    // restore() may have taken it over meanwhile.
    if (this.active.get(fault.id) !== begun) return record;
    this.active.delete(fault.id);
    try {
      const starts = await begun.end();
      if (typeof starts === 'number') record.starts = starts;
    } catch (err) {
      record.error = `did not end cleanly: ${message(err)}`;
    }
    record.endedAt = Date.now();
    this.log(
      `${at(record.endedAt)} ${fault.id} ${fault.kind} over after ` +
        `${((record.endedAt - begun.startedAt) / 1000).toFixed(1)} s` +
        ((record.starts ?? 1) > 1 ? `, ${record.starts} starts` : '') +
        (record.error === undefined ? '' : ` (${record.error})`),
    );
    return record;
  }

  private async begin(f: ScheduledFault): Promise<Begun> {
    const { p, chaos } = this;
    const stack = p.stackOptions;
    switch (f.kind) {
      case 'pause-leader':
      case 'kill-leader': {
        const leader = await waitForOrderLeader(p, {
          timeoutMs: this.o.leaderTimeoutMs ?? 20_000,
        });
        const pause = f.kind === 'pause-leader';
        await signalProcess(leader.name, pause ? 'pause' : 'kill', stack);
        return {
          target: `${leader.name} (token ${leader.token})`,
          startedAt: Date.now(),
          end: async () => {
            if (!pause) return this.restart(leader.name);
            await signalProcess(leader.name, 'resume', stack);
          },
        };
      }
      case 'kill-service': {
        const service = f.service === 'payment' ? p.payment : p.inventory;
        const release = p.holdDown(service.name);
        try {
          await signalProcess(service.name, 'kill', stack);
        } catch (err) {
          release();
          throw err;
        }
        return {
          target: service.name,
          startedAt: Date.now(),
          end: async () => {
            release();
            await waitFor(() => answersReady(service.url), {
              what: `${service.name} to be revived and ready`,
              timeoutMs: this.o.reviveTimeoutMs ?? 120_000,
              intervalMs: 200,
            });
          },
        };
      }
      case 'drop-reply':
      case 'fail':
      case 'delay': {
        const { stored, confirmed } = await chaos.add({
          id: f.id,
          pattern: f.pattern,
          action: f.kind,
          ...(f.kind === 'drop-reply' ? { rate: f.rate } : {}),
          ...(f.kind === 'delay' ? { delayMs: f.delayMs } : {}),
          // A safety net only (storing may be retried for a while): the fault's end removes it.
          until: Date.now() + f.durationMs + 20_000,
        });
        return {
          target: `${faultTarget(f)}${confirmed ? '' : ' (not confirmed by a live process)'}`,
          startedAt: stored.rule.createdAt,
          end: async () => {
            await chaos.remove(f.id, f.pattern);
          },
        };
      }
      case 'kill-nats':
        await signalProcess(f.node, 'kill', stack);
        return {
          target: f.node,
          startedAt: Date.now(),
          end: () => this.restart(f.node),
        };
      case 'pause-postgres':
        await signalProcess(f.replica, 'pause', stack);
        return {
          target: f.replica,
          startedAt: Date.now(),
          end: async () => {
            await signalProcess(f.replica, 'resume', stack);
          },
        };
    }
  }

  /** Restarts `name` until it is ready; returns how many starts that took. */
  private async restart(name: string): Promise<number> {
    const max = this.o.maxStarts ?? 3;
    for (let start = 1; ; start++) {
      try {
        await restartProcess(name, this.p.stackOptions);
        return start;
      } catch (err) {
        if (start >= max) throw err;
        this.log(`${name} died while starting (${message(err)}); starting it again`);
      }
    }
  }
}

async function answersReady(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
