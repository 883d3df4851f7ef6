/**
 * `up` and `down` of a whole stack. Both converge instead of assuming: `up` leaves running
 * members alone, resumes paused ones and restarts dead ones; `down` stops whatever of ours is
 * still alive. Running either twice is harmless.
 */
import fs from 'node:fs';
import { ensureBinaries } from './binaries.ts';
import { awaitReady, spawnPlanned } from './launcher.ts';
import type { NatsMode, StackOptions } from './options.ts';
import { resolveOptions, samePorts, stackPaths } from './options.ts';
import { liveState, signalGroup, stopGroup } from './process-group.ts';
import type { Session } from './session.ts';
import { withSession } from './session.ts';
import { findRecord } from './status-file.ts';
import type { ProcessRecord } from './status-file.ts';
import { endpointsFor, infraNames, infraPlans } from './topology.ts';
import type { StackEndpoints } from './topology.ts';

export interface UpReport {
  root: string;
  nats: NatsMode;
  /** Spawned by this call (were dead or never started). */
  started: string[];
  /** Were paused and got SIGCONT. */
  resumed: string[];
  alreadyRunning: string[];
  endpoints: StackEndpoints;
}

export interface DownReport {
  root: string;
  /** Stopped gracefully, or with SIGKILL after the grace period. */
  stopped: { name: string; how: 'stopped' | 'killed' }[];
  /** Nothing of ours was running. */
  alreadyDown: boolean;
}

/** The stack refuses a request that contradicts the running stack (other ports or NATS mode). */
export class StackConflictError extends Error {
  readonly code = 'STACK_CONFLICT';
  constructor(message: string) {
    super(message);
    this.name = 'StackConflictError';
  }
}

function aliveInfra(session: Session): ProcessRecord[] {
  return session.status.processes.filter(
    (record) => record.kind !== 'service' && liveState(record) !== 'dead',
  );
}

/** True when any infrastructure process of the session's stack is alive. */
export function anyInfraAlive(session: Session): boolean {
  return aliveInfra(session).length > 0;
}

function settleTopology(session: Session): void {
  const { status, opts } = session;
  const alive = aliveInfra(session);
  const aliveMode = alive.some((record) => record.kind === 'nats') ? status.nats : undefined;
  const mode = opts.nats ?? aliveMode ?? 'cluster';
  if (alive.length > 0) {
    if (!samePorts(status.ports, opts.ports)) {
      throw new StackConflictError(
        `the stack at ${status.root} is running on other ports (postgres ${status.ports.postgres.join(',')}); ` +
          `run down first or use the same ports`,
      );
    }
    if (aliveMode !== undefined && aliveMode !== mode) {
      throw new StackConflictError(
        `the stack at ${status.root} runs NATS in ${aliveMode} mode; run down before switching to ${mode}`,
      );
    }
  }
  status.ports = opts.ports;
  status.nats = mode;
  // Records of infrastructure that is no longer part of the topology (mode switch) go away.
  const wanted = new Set(infraNames(mode, status.ports));
  status.processes = status.processes.filter(
    (record) =>
      record.kind === 'service' || wanted.has(record.name) || liveState(record) !== 'dead',
  );
}

/** `up` inside an existing session (shared with holdStack). */
export async function upInSession(session: Session): Promise<UpReport> {
  settleTopology(session);
  const { status, opts } = session;
  const binaries = await ensureBinaries(opts.install, opts.log);
  const plans = infraPlans(session, binaries);
  const report: UpReport = {
    root: status.root,
    nats: status.nats,
    started: [],
    resumed: [],
    alreadyRunning: [],
    endpoints: endpointsFor(status.root, status.nats, status.ports),
  };
  const spawned = await Promise.allSettled(
    plans.map(async (plan) => {
      const record = findRecord(status, plan.name);
      const state = record ? liveState(record) : 'dead';
      if (record && state === 'running') {
        report.alreadyRunning.push(plan.name);
        return record;
      }
      if (record && state === 'paused') {
        signalGroup(record, 'SIGCONT');
        record.state = 'running';
        report.resumed.push(plan.name);
        return record;
      }
      const fresh = await spawnPlanned(session, plan);
      report.started.push(plan.name);
      opts.log(`${plan.name}: started pid ${fresh.pid} (log ${fresh.logPath})`);
      return fresh;
    }),
  );
  const ready = await Promise.allSettled(
    spawned.map(async (outcome) => {
      if (outcome.status === 'rejected') throw outcome.reason;
      await awaitReady(session, outcome.value);
      if (!report.alreadyRunning.includes(outcome.value.name)) {
        opts.log(`${outcome.value.name}: ready`);
      }
    }),
  );
  session.save();
  const failures = ready.flatMap((outcome) =>
    outcome.status === 'rejected' ? [outcome.reason as Error] : [],
  );
  if (failures.length > 0) {
    throw new AggregateError(
      failures,
      `stack up failed:\n${failures.map((error) => error.message).join('\n')}`,
    );
  }
  return report;
}

export interface UpOptions extends StackOptions {
  /**
   * A deliberate `up` (the CLI): the stack then stays up after test runs that found it
   * running, even one that had auto-started it. @default false
   */
  pin?: boolean;
  /**
   * Allow fault injection (`npm run stack -- up --chaos`): recorded in the status file until
   * `down`; services started from then on get SEAMLINE_CHAOS=on. @default false (unchanged)
   */
  chaos?: boolean;
}

/** Starts (or completes) the stack and waits until every member is ready. */
export function stackUp(options: UpOptions = {}): Promise<UpReport> {
  return withSession(options, async (session) => {
    const report = await upInSession(session);
    if (options.pin && session.status.autoStarted) {
      session.status.autoStarted = false;
      session.save();
    }
    if (options.chaos && session.status.chaos !== true) {
      session.status.chaos = true;
      session.save();
    }
    return report;
  });
}

const DOWN_ORDER = ['service', 'nats', 'postgres'] as const;

/** `down` inside an existing session: services first, then NATS and postgres together. */
export async function downInSession(session: Session): Promise<DownReport> {
  const { status, opts } = session;
  const report: DownReport = { root: status.root, stopped: [], alreadyDown: true };
  const tiers = [[DOWN_ORDER[0]], [DOWN_ORDER[1], DOWN_ORDER[2]]];
  for (const kinds of tiers) {
    const records = status.processes.filter((record) =>
      (kinds as readonly string[]).includes(record.kind),
    );
    await Promise.all(
      records.map(async (record) => {
        const postgres = record.kind === 'postgres';
        // Fast shutdown: the postmaster disconnects clients, checkpoints and stops its children.
        const how = await stopGroup(record, {
          signal: postgres ? 'SIGINT' : 'SIGTERM',
          leaderOnly: postgres,
          timeoutMs: opts.stopTimeoutMs,
        });
        record.state = 'stopped';
        if (how !== 'absent') {
          report.alreadyDown = false;
          report.stopped.push({ name: record.name, how });
          opts.log(
            `${record.name}: ${how === 'killed' ? 'killed after the grace period' : 'stopped'}`,
          );
        }
      }),
    );
  }
  status.autoStarted = false;
  status.chaos = false;
  if (!session.fresh) session.save();
  return report;
}

/** Stops every process of the stack; nothing of ours runs afterwards. */
export async function stackDown(options: StackOptions = {}): Promise<DownReport> {
  const root = resolveOptions(options).root;
  // Never started here: nothing to stop, and no reason to create the root.
  if (!fs.existsSync(stackPaths(root).statusFile)) return { root, stopped: [], alreadyDown: true };
  return withSession(options, downInSession);
}
