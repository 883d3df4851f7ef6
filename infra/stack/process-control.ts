/**
 * The chaos verbs on one named process: pause (SIGSTOP), resume (SIGCONT), kill (SIGKILL) and
 * restart. Each acts on the whole process group and returns only once the kernel shows the
 * effect (every member stopped, every member gone, or the restarted process ready).
 */
import { awaitReady, spawnPlanned } from './launcher.ts';
import type { LaunchPlan } from './launch-plan.ts';
import type { StackOptions } from './options.ts';
import { killGroup, liveState, members, signalGroup, waitGroupStopped } from './process-group.ts';
import { isStopped } from './process-table.ts';
import type { Session } from './session.ts';
import { withSession } from './session.ts';
import { findRecord } from './status-file.ts';
import type { ProcessRecord } from './status-file.ts';
import { infraPlanFor } from './topology.ts';
import { waitFor } from './wait-for.ts';

export type SignalAction = 'pause' | 'resume' | 'kill';

/** The name is not a process of this stack. */
export class UnknownProcessError extends Error {
  readonly code = 'UNKNOWN_PROCESS';
  constructor(name: string, known: string[]) {
    super(`no process named ${name} in this stack (known: ${known.join(', ') || 'none'})`);
    this.name = 'UnknownProcessError';
  }
}

/** Pause or resume of a process that is not running. */
export class NotRunningError extends Error {
  readonly code = 'NOT_RUNNING';
  constructor(name: string, action: SignalAction) {
    super(`cannot ${action} ${name}: it is not running`);
    this.name = 'NotRunningError';
  }
}

function unknown(session: Session, name: string): UnknownProcessError {
  return new UnknownProcessError(
    name,
    session.status.processes.map((known) => known.name),
  );
}

function requireRecord(session: Session, name: string): ProcessRecord {
  const record = findRecord(session.status, name);
  if (!record) throw unknown(session, name);
  return record;
}

async function applySignal(session: Session, name: string, action: SignalAction) {
  const record = requireRecord(session, name);
  if (action === 'kill') {
    await killGroup(record);
    record.state = 'dead';
  } else if (liveState(record) === 'dead') {
    throw new NotRunningError(name, action);
  } else if (action === 'pause') {
    signalGroup(record, 'SIGSTOP');
    await waitGroupStopped(record);
    record.state = 'paused';
  } else {
    signalGroup(record, 'SIGCONT');
    await waitFor(() => !members(record).some(isStopped), {
      what: `every process of ${name} to continue`,
      timeoutMs: 5_000,
      intervalMs: 20,
    });
    record.state = 'running';
  }
  session.save();
  session.opts.log(`${name}: ${action === 'kill' ? 'killed' : `${action}d`}`);
  return record;
}

/**
 * pause = SIGSTOP to the group (waits until every member is in state T), resume = SIGCONT,
 * kill = SIGKILL to the group (waits until every member is gone, so a restart can bind the
 * ports and postgres finds no backend holding shared memory).
 */
export function signalProcess(
  name: string,
  action: SignalAction,
  options: StackOptions = {},
): Promise<ProcessRecord> {
  return withSession(options, (session) => applySignal(session, name, action));
}

/** Rebuilds the launch plan of a recorded service from its record. */
export function planFromRecord(record: ProcessRecord): LaunchPlan {
  return {
    name: record.name,
    kind: record.kind,
    launch: record.launch,
    ports: record.ports,
    logPath: record.logPath,
    dataDir: record.dataDir,
    match: record.match,
    memberMarkers: record.memberMarkers,
    readiness: record.readiness,
  };
}

/** Kill if alive and spawn again from the recorded plan; does not wait for readiness. */
async function respawnInSession(session: Session, name: string): Promise<ProcessRecord> {
  const record = findRecord(session.status, name);
  const plan =
    record?.kind === 'service' ? planFromRecord(record) : await infraPlanFor(session, name);
  if (!plan) throw unknown(session, name);
  if (record) {
    await killGroup(record);
    record.state = 'dead';
  }
  const fresh = await spawnPlanned(session, plan);
  session.opts.log(`${name}: started pid ${fresh.pid}, waiting for readiness (${fresh.logPath})`);
  return fresh;
}

/**
 * Kill if alive, start again from the recorded plan, wait until ready. Only the respawn holds
 * the stack lock: a slow start-up must not hold back other processes' signals (a chaos run
 * resuming a paused PostgreSQL while a service restarts).
 */
export async function restartProcess(
  name: string,
  options: StackOptions = {},
): Promise<ProcessRecord> {
  const { session, record } = await withSession(options, async (s) => ({
    session: s,
    record: await respawnInSession(s, name),
  }));
  await awaitReady(session, record);
  session.opts.log(`${name}: ready`);
  return record;
}
