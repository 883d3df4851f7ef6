/**
 * Every stack process runs as the leader of its own process group, and every signal goes to all
 * of its members. Postgres is the reason: SIGSTOP to the postmaster alone leaves its backends
 * answering, and SIGKILL to it alone leaves orphan backends holding shared memory, so the next
 * start fails. Postgres backends even leave the group (they call setsid), so members are also
 * found by parentage and by their process title.
 *
 * Before any signal the group must prove it is ours: some member's cmdline contains one of the
 * record's markers (data dir, config path, script). A recycled pid, or the machine's own postgres
 * on 5432, never passes, so it is never signalled.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import {
  isStopped,
  isZombie,
  readCmdline,
  readStat,
  snapshot,
  withDescendants,
} from './process-table.ts';
import type { ProcStat } from './process-table.ts';
import type { Launch } from './status-file.ts';
import { waitFor } from './wait-for.ts';

/** The fields of a process record that identify its group. */
export interface GroupRef {
  name: string;
  pid: number;
  pgid: number;
  match: string[];
  /** Cmdline substrings of members that may have left the group (see members()). */
  memberMarkers?: string[];
  /** The leader's /proc start time; 0 or absent when unknown. */
  startTicks?: number;
}

export type LiveState = 'running' | 'paused' | 'dead';

/** Thrown when the kernel refuses to start the command (missing binary, bad cwd, ...). */
export class SpawnError extends Error {
  readonly code = 'SPAWN_FAILED';
  constructor(name: string, command: string, cause: unknown) {
    super(`could not start ${name} (${command}): ${(cause as Error).message}`, { cause });
    this.name = 'SpawnError';
  }
}

/**
 * Starts `launch` detached (setsid: new session and process group, pgid = pid) with stdout and
 * stderr appended to `logPath`, and does not keep the caller alive for it.
 */
export async function spawnInGroup(name: string, launch: Launch, logPath: string): Promise<number> {
  const fd = fs.openSync(logPath, 'a');
  try {
    const child = spawn(launch.command, launch.args, {
      cwd: launch.cwd,
      env: { ...process.env, ...launch.env },
      detached: true,
      stdio: ['ignore', fd, fd],
      ...(launch.uid === undefined ? {} : { uid: launch.uid }),
      ...(launch.gid === undefined ? {} : { gid: launch.gid }),
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error) => reject(new SpawnError(name, launch.command, error)));
    });
    // A later 'error' (failed kill) must not crash the supervisor; /proc is our source of truth.
    child.on('error', () => {});
    child.unref();
    if (child.pid === undefined) throw new SpawnError(name, launch.command, new Error('no pid'));
    return child.pid;
  } finally {
    fs.closeSync(fd);
  }
}

function matches(pid: number, markers: string[]): boolean {
  const cmdline = readCmdline(pid);
  return cmdline !== '' && markers.some((marker) => cmdline.includes(marker));
}

/**
 * Whether the group recorded in `ref` is still the one we started. A member whose cmdline
 * carries a marker proves it; so does the leader (alive or zombie) having the recorded start
 * time. When the leader is gone entirely, surviving members that started no earlier than it are
 * its leftovers: a group id stays reserved while any member lives, so a stranger could only
 * hold it if the pid was reused, became a group leader and died while its children lived on.
 */
function owned(ref: GroupRef, inGroup: ProcStat[]): boolean {
  if (inGroup.some((stat) => matches(stat.pid, ref.match))) return true;
  const recorded = ref.startTicks ?? 0;
  if (recorded === 0 || inGroup.length === 0) return false;
  const leader = readStat(ref.pgid);
  if (leader) return leader.startTicks === recorded;
  return inGroup.every((stat) => stat.startTicks >= recorded);
}

/**
 * Every live process of ours behind `ref`: its process group (if it is still ours, see owned),
 * everything those processes forked (postgres backends call setsid, so they leave the group),
 * and any process whose cmdline carries one of `memberMarkers` (backends orphaned by a killed
 * postmaster keep their title, which names the instance).
 *
 * `verified`: ownership was proven by an earlier call in the same operation, so the group's
 * members count even after the one carrying the marker has exited.
 */
export function members(ref: GroupRef, verified = false): ProcStat[] {
  const table = snapshot();
  const inGroup = table.filter((stat) => stat.pgrp === ref.pgid);
  const pids = new Set<number>();
  if (verified || owned(ref, inGroup)) {
    for (const pid of withDescendants(
      table,
      inGroup.map((stat) => stat.pid),
    )) {
      pids.add(pid);
    }
  }
  const markers = ref.memberMarkers ?? [];
  if (markers.length > 0) {
    for (const stat of table) {
      if (!pids.has(stat.pid) && matches(stat.pid, markers)) pids.add(stat.pid);
    }
  }
  return table.filter((stat) => pids.has(stat.pid));
}

/**
 * running / paused (leader stopped, state T) / dead. A dead leader with surviving members
 * (orphans after someone killed only the leader) is dead too; the next start clears them.
 */
export function liveState(ref: GroupRef): LiveState {
  const leader = readStat(ref.pid);
  if (!leader || isZombie(leader) || leader.pgrp !== ref.pgid) return 'dead';
  // An empty cmdline proves nothing: /proc shows none while the process is still exec'ing (a
  // readiness probe caught a healthy service starting up that way and gave it up as exited).
  // The group, the zombie check and the start time above still tell a dead or reused pid.
  const cmdline = readCmdline(ref.pid);
  if (cmdline !== '' && !ref.match.some((marker) => cmdline.includes(marker))) return 'dead';
  if (ref.startTicks && leader.startTicks !== ref.startTicks) return 'dead';
  return isStopped(leader) ? 'paused' : 'running';
}

function send(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/**
 * Sends `signal` to every member; false when nothing of ours was running. The group gets it
 * first in one atomic kill(-pgid), so a stopped or killed leader cannot fork members we have
 * not seen; members outside the group are then signalled until no new one shows up.
 */
export function signalGroup(ref: GroupRef, signal: NodeJS.Signals): boolean {
  const first = members(ref);
  if (first.length === 0) return false;
  if (first.some((stat) => stat.pgrp === ref.pgid)) send(-ref.pgid, signal);
  const done = new Set<string>();
  // Bounded: a resumed postmaster under load may keep forking, and those children need no signal.
  for (let current = first, round = 0; current.length > 0 && round < 20; round++) {
    for (const stat of current) {
      if (stat.pgrp !== ref.pgid) send(stat.pid, signal);
      done.add(`${stat.pid}:${stat.startTicks}`);
    }
    current = members(ref, true).filter((stat) => !done.has(`${stat.pid}:${stat.startTicks}`));
  }
  return true;
}

/** Call only after a successful signalGroup (ownership proven). */
export async function waitGroupGone(ref: GroupRef, timeoutMs: number): Promise<void> {
  await waitFor(() => members(ref, true).length === 0, {
    what: `every process of ${ref.name} (group ${ref.pgid}) to exit`,
    timeoutMs,
    intervalMs: 50,
  });
}

/** Waits until every member is in state T (SIGSTOP takes effect asynchronously). */
export async function waitGroupStopped(ref: GroupRef, timeoutMs = 5_000): Promise<void> {
  await waitFor(() => members(ref, true).every(isStopped), {
    what: `every process of ${ref.name} to stop (state T)`,
    timeoutMs,
    intervalMs: 20,
  });
}

/** SIGKILL to every member, then wait until none is left (zombies count as gone). */
export async function killGroup(ref: GroupRef, timeoutMs = 10_000): Promise<boolean> {
  const signalled = signalGroup(ref, 'SIGKILL');
  if (signalled) await waitGroupGone(ref, timeoutMs);
  return signalled;
}

export interface StopGroupOptions {
  /** Graceful signal. @default 'SIGTERM' */
  signal?: NodeJS.Signals;
  /**
   * Send the graceful signal to the leader only: a postmaster coordinates its own children's
   * shutdown, and its backends read SIGINT as "cancel query". @default false
   */
  leaderOnly?: boolean;
  /** Grace period before SIGKILL. @default 20_000 */
  timeoutMs?: number;
}

/** Graceful stop with escalation; 'absent' when nothing of ours was running. */
export async function stopGroup(
  ref: GroupRef,
  options: StopGroupOptions = {},
): Promise<'absent' | 'stopped' | 'killed'> {
  if (members(ref).length === 0) return 'absent';
  // A stopped process does not act on SIGTERM until continued.
  signalGroup(ref, 'SIGCONT');
  const signal = options.signal ?? 'SIGTERM';
  if (liveState(ref) === 'dead') {
    // Leaderless leftovers: nobody coordinates a graceful exit.
    await killGroup(ref);
    return 'killed';
  }
  if (options.leaderOnly) send(ref.pid, signal);
  else signalGroup(ref, signal);
  try {
    await waitGroupGone(ref, options.timeoutMs ?? 20_000);
    return 'stopped';
  } catch {
    await killGroup(ref);
    return 'killed';
  }
}
