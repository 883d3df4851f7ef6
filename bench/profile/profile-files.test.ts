/**
 * Hunts bugs that would draw one service's flame graph from another's profile: a pid read from
 * the wrong field of the file name, a loader thread's profile taken for the event loop, and a
 * stranger's file (another pid) attributed to a service.
 */
import { describe, expect, it } from 'vitest';
import { assignProfiles, parseProfileFileName } from './profile-files.ts';

describe('parseProfileFileName', () => {
  it('reads pid and thread from the name node --cpu-prof gives', () => {
    expect(parseProfileFileName('CPU.20261204.224455.31186.0.001.cpuprofile')).toEqual({
      pid: 31186,
      thread: 0,
    });
    expect(parseProfileFileName('CPU.20261204.224455.31186.3.002.cpuprofile')?.thread).toBe(3);
    expect(parseProfileFileName('order-1.cpuprofile')).toBeUndefined();
  });
});

describe('assignProfiles', () => {
  it('gives each service its main-thread profiles and leaves the rest unassigned', () => {
    const pids = new Map([
      [100, 'order-1'],
      [200, 'payment-1'],
      [300, 'payment-1'],
    ]);
    const { byService, unassigned } = assignProfiles(
      [
        'CPU.20261204.224455.300.0.002.cpuprofile',
        'CPU.20261204.224455.100.0.001.cpuprofile',
        'CPU.20261204.224455.100.1.003.cpuprofile',
        'CPU.20261204.224455.200.0.001.cpuprofile',
        'CPU.20261204.224455.999.0.001.cpuprofile',
      ],
      pids,
    );
    expect(byService.get('order-1')).toEqual(['CPU.20261204.224455.100.0.001.cpuprofile']);
    expect(byService.get('payment-1')).toEqual([
      'CPU.20261204.224455.200.0.001.cpuprofile',
      'CPU.20261204.224455.300.0.002.cpuprofile',
    ]);
    expect(unassigned).toEqual([
      'CPU.20261204.224455.100.1.003.cpuprofile',
      'CPU.20261204.224455.999.0.001.cpuprofile',
    ]);
  });
});
