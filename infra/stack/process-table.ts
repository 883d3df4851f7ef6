/**
 * Reads the kernel's process table (/proc). The supervisor trusts /proc over its own records:
 * a recorded pid may have exited, been reused, or left a zombie behind (this machine's init does
 * not reap orphans, so a killed orphan stays a zombie forever: it is dead for every purpose here).
 */
import fs from 'node:fs';

export interface ProcStat {
  pid: number;
  comm: string;
  /** R running, S sleeping, D disk wait, T stopped (SIGSTOP), t traced, Z zombie, X dead. */
  state: string;
  ppid: number;
  pgrp: number;
  /** Start time after boot in clock ticks: (pid, startTicks) names one process forever. */
  startTicks: number;
}

/** Parses /proc/<pid>/stat; `comm` may contain spaces and parentheses, so split at the last ')'. */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open)
    throw new Error(`unparseable /proc stat line: ${text.slice(0, 80)}`);
  const fields = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  const numberAt = (index: number) => {
    const value = Number(fields[index]);
    if (!Number.isFinite(value)) throw new Error(`unparseable /proc stat field ${index + 3}`);
    return value;
  };
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: fields[0] ?? '?',
    ppid: numberAt(1),
    pgrp: numberAt(2),
    // Field 22 of stat; fields[] starts at field 3.
    startTicks: numberAt(19),
  };
}

export function readStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** argv joined by spaces; empty for zombies and kernel threads. */
export function readCmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

export function isZombie(stat: ProcStat): boolean {
  return stat.state === 'Z' || stat.state === 'X';
}

/** Alive = exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== undefined && !isZombie(stat);
}

export function isStopped(stat: ProcStat): boolean {
  return stat.state === 'T' || stat.state === 't';
}

/** Every live (non-zombie) process, read once; cmdlines are read lazily by callers. */
export function snapshot(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat && !isZombie(stat)) stats.push(stat);
  }
  return stats;
}

/** Processes in `roots` and everything they forked, following ppid links. */
export function withDescendants(table: ProcStat[], roots: number[]): Set<number> {
  const found = new Set(roots);
  let grew = true;
  while (grew) {
    grew = false;
    for (const stat of table) {
      if (!found.has(stat.pid) && found.has(stat.ppid)) {
        found.add(stat.pid);
        grew = true;
      }
    }
  }
  return found;
}

/** Live processes whose cmdline contains `needle`; used to prove we left others alone. */
export function processesMatching(needle: string): ProcStat[] {
  return snapshot().filter((stat) => readCmdline(stat.pid).includes(needle));
}
