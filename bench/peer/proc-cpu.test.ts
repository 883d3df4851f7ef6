/**
 * Hunts bugs in the CPU accounting of the peer bench that would put a wrong "CPU ms per saga"
 * in the table: counting the wrong /proc stat fields, being thrown off by a process name with
 * spaces or parentheses, forgetting the time of reaped children (a PostgreSQL backend that exits
 * mid-level), and converting ticks to milliseconds with the wrong clock.
 */
import { describe, expect, it } from 'vitest';
import { cpuDeltaMs, parseCpuTicks, readCpuTicks, sampleCpu, treeTicks } from './proc-cpu.ts';

// A real line (postgres backend), fields 14-17 = utime 1234, stime 567, cutime 89, cstime 10.
const POSTGRES =
  '4242 (postgres) S 4200 4200 4200 0 -1 4194560 5000 0 0 0 1234 567 89 10 20 0 1 0 140901 ' +
  '3133440 383 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0';

describe('parseCpuTicks', () => {
  it('reads utime, stime, cutime and cstime from fields 14 to 17', () => {
    expect(parseCpuTicks(POSTGRES)).toEqual({ utime: 1234, stime: 567, cutime: 89, cstime: 10 });
  });

  it('counts fields from the last parenthesis, so a name with spaces and ")" does not shift them', () => {
    const tricky = POSTGRES.replace('(postgres)', '(node (tsx) worker 1)');
    expect(parseCpuTicks(tricky)).toEqual({ utime: 1234, stime: 567, cutime: 89, cstime: 10 });
  });

  it('refuses a truncated or garbled line instead of reading zeros', () => {
    expect(() => parseCpuTicks('4242 (postgres) S 4200 4200')).toThrow(/field 14/);
    expect(() => parseCpuTicks('no parentheses here')).toThrow(/unparseable/);
    expect(() => parseCpuTicks(POSTGRES.replace(' 1234 ', ' -5 '))).toThrow(/field 14/);
  });

  it('reads this very process from /proc', () => {
    const mine = readCpuTicks(process.pid);
    expect(mine).toBeDefined();
    expect(treeTicks(mine!)).toBeGreaterThanOrEqual(0);
    expect(readCpuTicks(2 ** 30)).toBeUndefined();
  });
});

describe('a tree of processes', () => {
  it('includes the time of reaped children, so a backend exiting mid-level is not lost', () => {
    expect(treeTicks({ utime: 1, stime: 2, cutime: 30, cstime: 400 })).toBe(433);
  });

  it('sums every member of a named process and converts ticks to milliseconds at the given clock', () => {
    const before = new Map([
      ['pg-1', 1000],
      ['order-1', 50],
    ]);
    const after = new Map([
      ['pg-1', 1250],
      ['order-1', 50],
      ['nats-1', 7],
    ]);
    expect(cpuDeltaMs(before, after, 100)).toEqual({ 'pg-1': 2500, 'order-1': 0, 'nats-1': 70 });
    expect(cpuDeltaMs(before, after, 250)).toEqual({ 'pg-1': 1000, 'order-1': 0, 'nats-1': 28 });
  });

  it('samples a source as the sum over its pids and skips pids that are gone', () => {
    const own = treeTicks(readCpuTicks(process.pid)!);
    const sample = sampleCpu([
      { name: 'me twice', pids: () => [process.pid, process.pid] },
      { name: 'gone', pids: () => [2 ** 30] },
    ]);
    expect(sample.get('me twice')).toBeGreaterThanOrEqual(2 * own);
    expect(sample.get('gone')).toBe(0);
  });
});
