/**
 * Hunts: a status table that hides a paused or dead process, or shows "dead" for a process
 * the supervisor stopped on purpose.
 */
import { describe, expect, it } from 'vitest';
import { renderStatusTable } from './stack-view.ts';
import type { ProcessView, StackView } from './stack-view.ts';

function view(processes: Partial<ProcessView>[], up = false): StackView {
  return {
    root: '/r',
    statusFile: '/r/stack/status.json',
    exists: true,
    up,
    nats: 'cluster',
    ports: { postgres: [1], natsClient: [2], natsCluster: [3], natsMonitor: [4] },
    autoStarted: false,
    holders: [],
    processes: processes.map((p, i) => ({
      name: `p-${i}`,
      kind: 'postgres',
      pid: 1000 + i,
      pgid: 1000 + i,
      startTicks: 0,
      ports: { port: 54331 + i },
      state: 'running',
      logPath: `/r/logs/p-${i}.log`,
      dataDir: null,
      startedAt: '2026-01-01T10:00:00.000Z',
      match: ['x'],
      memberMarkers: [],
      launch: { command: 'x', args: [], env: {}, cwd: '/' },
      readiness: { kind: 'tcp', port: 1 },
      live: 'running',
      ...p,
    })),
  };
}

describe('status table', () => {
  it('shows the live state of each process, one row each', () => {
    const text = renderStatusTable(
      view([
        { live: 'running' },
        { live: 'paused', state: 'paused' },
        { live: 'dead', state: 'running' },
      ]),
    );
    const rows = text.trimEnd().split('\n').slice(2);
    expect(rows.map((row) => row.split(/\s+/)[2])).toEqual(['running', 'paused', 'dead']);
    expect(text).toContain('54332');
    expect(text).toContain('/r/logs/p-1.log');
  });

  it('says stopped, not dead, for processes stopped by down', () => {
    const text = renderStatusTable(view([{ live: 'dead', state: 'stopped' }]));
    expect(text.split('\n')[2]).toMatch(/^p-0\s+postgres\s+stopped/);
  });

  it('says when the stack was never started', () => {
    expect(renderStatusTable({ ...view([]), exists: false })).toMatch(/never started/);
  });
});
