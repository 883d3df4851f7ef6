/**
 * CPU time per process from /proc/<pid>/stat, for the peer benchmark's "CPU ms per saga per
 * process". A process here is what the table names (`pg-1`, `restate-server`): the tree of OS
 * processes behind it, because a PostgreSQL instance spends most of its time in backends, not
 * in the postmaster.
 *
 * A tree's time is the sum over its live members of utime + stime + cutime + cstime: a member
 * that exits during a level is reaped by its parent, whose cutime/cstime then carry its time,
 * so the difference of two samples stays right across short-lived backends.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

export interface CpuTicks {
  /** Fields 14-17 of /proc/<pid>/stat, in clock ticks. */
  readonly utime: number;
  readonly stime: number;
  /** Time of reaped children (and theirs, recursively). */
  readonly cutime: number;
  readonly cstime: number;
}

/**
 * Parses one /proc/<pid>/stat line. `comm` (field 2) may hold spaces and parentheses, so the
 * fields are counted from the last ')'.
 */
export function parseCpuTicks(statLine: string): CpuTicks {
  const close = statLine.lastIndexOf(')');
  if (statLine.indexOf('(') < 0 || close < 0) {
    throw new Error(`unparseable /proc stat line: ${statLine.slice(0, 80)}`);
  }
  // fields[0] is field 3 (state), so field n is fields[n - 3].
  const fields = statLine
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const at = (field: number) => {
    const value = Number(fields[field - 3]);
    if (fields[field - 3] === undefined || !Number.isInteger(value) || value < 0) {
      throw new Error(`unparseable /proc stat field ${field}: ${fields[field - 3] ?? 'missing'}`);
    }
    return value;
  };
  return { utime: at(14), stime: at(15), cutime: at(16), cstime: at(17) };
}

/** Own and reaped-children time of one process, in ticks. */
export function treeTicks(ticks: CpuTicks): number {
  return ticks.utime + ticks.stime + ticks.cutime + ticks.cstime;
}

/** Undefined when the process is gone. */
export function readCpuTicks(pid: number): CpuTicks | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return parseCpuTicks(text);
}

/** A named process of a system under test, and how to find its OS processes right now. */
export interface CpuSource {
  readonly name: string;
  pids(): readonly number[];
}

/** Ticks per named process at this instant. */
export type CpuSample = ReadonlyMap<string, number>;

export function sampleCpu(sources: readonly CpuSource[]): CpuSample {
  const sample = new Map<string, number>();
  for (const source of sources) {
    let ticks = 0;
    for (const pid of source.pids()) {
      const read = readCpuTicks(pid);
      if (read) ticks += treeTicks(read);
    }
    sample.set(source.name, ticks);
  }
  return sample;
}

/** Milliseconds of CPU each process spent between two samples, in the order of `after`. */
export function cpuDeltaMs(
  before: CpuSample,
  after: CpuSample,
  ticksPerSecond: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, ticks] of after) {
    out[name] = ((ticks - (before.get(name) ?? 0)) * 1000) / ticksPerSecond;
  }
  return out;
}

/** The kernel's USER_HZ; 100 on every Linux this runs on, asked anyway. */
export function clockTicksPerSecond(): number {
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(value) && value > 0 ? value : 100;
  } catch {
    return 100;
  }
}
