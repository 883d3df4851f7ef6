/**
 * Hunts: /proc stat parsing that breaks on process names with spaces or parentheses (postgres
 * titles have both) and misreads the state, group or start time; descendant walks that miss
 * grandchildren or pull in unrelated processes.
 */
import { describe, expect, it } from 'vitest';
import { parseProcStat, readStat, withDescendants } from './process-table.ts';
import type { ProcStat } from './process-table.ts';

describe('process table', () => {
  it('parses a stat line whose comm contains spaces and parentheses', () => {
    const line =
      '4242 (postgres: x (y)) T 1 4200 4200 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10';
    expect(parseProcStat(line)).toEqual({
      pid: 4242,
      comm: 'postgres: x (y)',
      state: 'T',
      ppid: 1,
      pgrp: 4200,
      startTicks: 987654,
    });
  });

  it('reads this very process from /proc', () => {
    const self = readStat(process.pid);
    expect(self?.pid).toBe(process.pid);
    expect(self?.state).toMatch(/[RS]/);
  });

  it('finds children and grandchildren but not siblings', () => {
    const stat = (pid: number, ppid: number): ProcStat => ({
      pid,
      ppid,
      comm: 'x',
      state: 'S',
      pgrp: pid,
      startTicks: 0,
    });
    const table = [stat(10, 1), stat(11, 10), stat(12, 11), stat(20, 1), stat(21, 20)];
    expect([...withDescendants(table, [10])].sort()).toEqual([10, 11, 12]);
  });
});
