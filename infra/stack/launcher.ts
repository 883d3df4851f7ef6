/**
 * Starts one planned process and records it: clear leftovers of a previous run, prepare, check
 * its ports are free (so readiness can never be satisfied by a stranger), spawn it in its own
 * group, record pid/pgid at once, then wait until it is ready.
 */
import fs from 'node:fs';
import net from 'node:net';
import type { LaunchPlan } from './launch-plan.ts';
import { killGroup, spawnInGroup } from './process-group.ts';
import { readStat } from './process-table.ts';
import { waitReady } from './readiness.ts';
import type { Session } from './session.ts';
import { findRecord, upsertRecord } from './status-file.ts';
import type { ProcessRecord } from './status-file.ts';

/** A port the process needs is held by someone else. */
export class PortInUseError extends Error {
  readonly code = 'PORT_IN_USE';
  constructor(name: string, port: number) {
    super(
      `port ${port} needed by ${name} is already in use on 127.0.0.1 (another stack or program?)`,
    );
    this.name = 'PortInUseError';
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve(false);
      else reject(error);
    });
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

/** Appends a start marker and returns the offset where this start's output begins. */
function markLog(logPath: string, name: string): number {
  fs.appendFileSync(
    logPath,
    `\n--- seamline stack: starting ${name} at ${new Date().toISOString()} ---\n`,
  );
  return fs.statSync(logPath).size;
}

/** Spawns and records the process; does not wait for readiness. */
export async function spawnPlanned(session: Session, plan: LaunchPlan): Promise<ProcessRecord> {
  const previous = findRecord(session.status, plan.name);
  if (previous) await killGroup(previous);
  await plan.prepare?.();
  for (const port of Object.values(plan.ports)) {
    if (!(await portIsFree(port))) throw new PortInUseError(plan.name, port);
  }
  const logOffset = markLog(plan.logPath, plan.name);
  // Chaos is a property of the stack, not of the spec: the record keeps the spec unchanged.
  const chaos = plan.kind === 'service' && session.status.chaos === true;
  const launchSpec = chaos
    ? { ...plan.launch, env: { ...plan.launch.env, SEAMLINE_CHAOS: 'on' } }
    : plan.launch;
  const pid = await spawnInGroup(plan.name, launchSpec, plan.logPath);
  const record: ProcessRecord = {
    name: plan.name,
    kind: plan.kind,
    pid,
    pgid: pid,
    startTicks: readStat(pid)?.startTicks ?? 0,
    ports: plan.ports,
    state: 'running',
    logPath: plan.logPath,
    dataDir: plan.dataDir,
    startedAt: new Date().toISOString(),
    match: plan.match,
    memberMarkers: plan.memberMarkers ?? [],
    launch: plan.launch,
    readiness: plan.readiness,
  };
  upsertRecord(session.status, record);
  session.save();
  logOffsets.set(record, logOffset);
  return record;
}

// Where each spawned record's output starts, so a readiness failure shows this start's log only.
const logOffsets = new WeakMap<ProcessRecord, number>();

export async function awaitReady(session: Session, record: ProcessRecord): Promise<void> {
  await waitReady(record, session.opts.readyTimeoutMs, logOffsets.get(record) ?? 0);
}

/** Spawn, then wait until ready; the progress line names the pid and the log. */
export async function launch(session: Session, plan: LaunchPlan): Promise<ProcessRecord> {
  const record = await spawnPlanned(session, plan);
  session.opts.log(
    `${plan.name}: started pid ${record.pid}, waiting for readiness (${plan.logPath})`,
  );
  await awaitReady(session, record);
  session.opts.log(`${plan.name}: ready`);
  return record;
}
