/**
 * Read-only views of a stack: the recorded processes with their live state from /proc, the
 * endpoints tests connect to, and the `status` table. No lock: the status file is replaced
 * atomically, so a reader always sees one complete version.
 */
import type { StackOptions } from './options.ts';
import { resolveOptions, stackPaths } from './options.ts';
import { liveState } from './process-group.ts';
import type { LiveState } from './process-group.ts';
import { readStatusFile } from './status-file.ts';
import type { Holder, ProcessRecord, StackStatus } from './status-file.ts';
import { holderAlive } from './stack-hold.ts';
import { endpointsFor, infraNames } from './topology.ts';
import type { StackEndpoints } from './topology.ts';

export interface ProcessView extends ProcessRecord {
  /** From /proc now; `state` is what the supervisor last did. */
  live: LiveState;
}

export interface StackView {
  root: string;
  statusFile: string;
  /** False when the stack was never started at this root. */
  exists: boolean;
  /** Every infrastructure process is running (not paused, not dead). */
  up: boolean;
  nats: StackStatus['nats'];
  ports: StackStatus['ports'];
  autoStarted: boolean;
  /** Started with `up --chaos`: fault rules may be set. */
  chaos?: boolean;
  /** Live holders only. */
  holders: Holder[];
  processes: ProcessView[];
}

/** The status file plus live states; an empty view when the stack was never started. */
export function readStatus(options: StackOptions = {}): StackView {
  const opts = resolveOptions(options);
  const statusFile = stackPaths(opts.root).statusFile;
  const status = readStatusFile(statusFile);
  if (!status) {
    return {
      root: opts.root,
      statusFile,
      exists: false,
      up: false,
      nats: opts.nats ?? 'cluster',
      ports: opts.ports,
      autoStarted: false,
      holders: [],
      processes: [],
    };
  }
  const rank = { postgres: 0, nats: 1, service: 2 } as const;
  const processes = status.processes
    .map((record) => ({ ...record, live: liveState(record) }))
    .sort(
      (a, b) =>
        rank[a.kind] - rank[b.kind] || a.name.localeCompare(b.name, 'en', { numeric: true }),
    );
  const infra = infraNames(status.nats, status.ports);
  const up = infra.every((name) => processes.find((p) => p.name === name)?.live === 'running');
  return {
    root: status.root,
    statusFile,
    exists: true,
    up,
    nats: status.nats,
    ports: status.ports,
    autoStarted: status.autoStarted,
    chaos: status.chaos === true,
    holders: status.holders.filter(holderAlive),
    processes,
  };
}

/**
 * Connection endpoints of the stack: the recorded ones when it was started, otherwise the ones
 * `up` would use with these options.
 */
export function endpoints(options: StackOptions = {}): StackEndpoints {
  const opts = resolveOptions(options);
  const status = readStatusFile(stackPaths(opts.root).statusFile);
  return status
    ? endpointsFor(status.root, status.nats, status.ports)
    : endpointsFor(opts.root, opts.nats ?? 'cluster', opts.ports);
}

function portsText(ports: Record<string, number>): string {
  return Object.entries(ports)
    .map(([key, port]) => (key === 'port' ? `${port}` : `${key}:${port}`))
    .join(' ');
}

function health(view: StackView): string {
  if (view.up) return 'UP';
  return view.processes.every((p) => p.live === 'dead') ? 'DOWN' : 'DEGRADED';
}

/** The `status` table: one row per process, live state first-class. */
export function renderStatusTable(view: StackView): string {
  if (!view.exists) return `stack at ${view.root}: never started (no ${view.statusFile})\n`;
  const headline =
    `stack at ${view.root}: ${health(view)}, nats ${view.nats}` +
    (view.autoStarted ? ', started for a test run' : '') +
    (view.chaos ? ', chaos enabled' : '') +
    (view.holders.length > 0
      ? `, held by ${view.holders.map((h) => `${h.purpose} (pid ${h.pid})`).join(', ')}`
      : '');
  const header = ['NAME', 'KIND', 'STATE', 'PID', 'PGID', 'PORTS', 'STARTED', 'LOG'];
  const rows = view.processes.map((p) => [
    p.name,
    p.kind,
    p.live === 'dead' && p.state === 'stopped' ? 'stopped' : p.live,
    String(p.pid),
    String(p.pgid),
    portsText(p.ports),
    p.startedAt.replace('T', ' ').slice(0, 19),
    p.logPath,
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ');
  return (
    [headline, line(header), ...rows.map(line)].map((text) => text.trimEnd()).join('\n') + '\n'
  );
}
