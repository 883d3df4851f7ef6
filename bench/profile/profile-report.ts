/**
 * The tables of bench:profile: per service, the functions with the most own time in the
 * profiled window (with µs per saga, the figure an optimisation moves), and CPU ms per saga per
 * process from /proc. Pure, so the arithmetic is unit-tested.
 */
import type { LevelFigures } from '../peer/peer-report.ts';
import type { FrameCategory, FunctionTime, ProfileTree } from './cpu-profile.ts';

const KIND: Record<FrameCategory, string> = {
  ours: 'ours',
  dependency: 'dependency',
  node: 'Node',
  vm: 'VM',
};

/** A Markdown table cell: pipes escaped, so a name like `a|b` keeps the columns. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/**
 * Top self-time functions as a Markdown table. Profile time is wall time while the thread is
 * not idle (on a loaded machine it includes waiting for a CPU), so the CPU a function costs per
 * saga is estimated as its share of that time times the process's CPU per saga from /proc
 * (`cpuMsPerSaga`; a dash without it).
 */
export function renderTopTable(
  top: readonly FunctionTime[],
  tree: ProfileTree,
  cpuMsPerSaga: number | undefined,
  /** Whether the share (and the CPU estimate) is of own time or of total time. @default 'self' */
  by: 'self' | 'total' = 'self',
): string {
  const busy = tree.root.totalMs;
  const lines = [
    `| # | ${by} % of busy | ≈ CPU µs/saga | self ms | total ms | function | where | kind | called from (nearest other file or package) |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  top.forEach((f, i) => {
    const share = busy > 0 ? (by === 'self' ? f.selfMs : f.totalMs) / busy : Number.NaN;
    const perSaga =
      cpuMsPerSaga !== undefined && Number.isFinite(cpuMsPerSaga) && Number.isFinite(share)
        ? (share * cpuMsPerSaga * 1000).toFixed(0)
        : '-';
    lines.push(
      `| ${i + 1} | ${Number.isFinite(share) ? (share * 100).toFixed(1) : '-'} % | ${perSaga} | ` +
        `${f.selfMs.toFixed(0)} | ${f.totalMs.toFixed(0)} | \`${cell(f.name)}\` | ${cell(f.location) || '-'} | ${KIND[f.category]} | ` +
        `${f.via ? `\`${cell(f.via.name)}\` ${cell(f.via.location)} (${(f.via.share * 100).toFixed(0)} %)` : '-'} |`,
    );
  });
  return `${lines.join('\n')}\n`;
}

/** One line over a service's table: busy and idle time, CPU from /proc, the share by owner. */
export function renderBusyLine(
  tree: ProfileTree,
  byCategory: Record<FrameCategory, number>,
  cpuMsPerSaga: number | undefined,
): string {
  const busy = tree.root.totalMs;
  const share = (category: FrameCategory) =>
    busy > 0 ? `${((byCategory[category] / busy) * 100).toFixed(0)} %` : '-';
  const window = tree.windowMs > 0 ? ` (${((busy / tree.windowMs) * 100).toFixed(0)} %)` : '';
  const cpu =
    cpuMsPerSaga !== undefined && Number.isFinite(cpuMsPerSaga)
      ? `; the process used ${cpuMsPerSaga.toFixed(2)} ms CPU per saga (/proc)`
      : '';
  return (
    `main thread not idle ${busy.toFixed(0)} ms of ${tree.windowMs.toFixed(0)} ms${window}, ` +
    `idle ${tree.idleMs.toFixed(0)} ms${cpu}; busy time by owner: ours ${share('ours')}, ` +
    `dependencies ${share('dependency')}, Node ${share('node')}, GC and VM ${share('vm')}`
  );
}

/** CPU ms per saga per process (from /proc), one row per process, the total last. */
export function renderCpuTable(figures: LevelFigures): string {
  const lines = ['| process | CPU ms/saga |', '| --- | --- |'];
  for (const [name, value] of Object.entries(figures.cpuMsPerSaga)) {
    lines.push(`| ${name} | ${Number.isFinite(value) ? value.toFixed(2) : '-'} |`);
  }
  lines.push(
    `| **all** | **${Number.isFinite(figures.cpuMsPerSagaTotal) ? figures.cpuMsPerSagaTotal.toFixed(2) : '-'}** |`,
  );
  return `${lines.join('\n')}\n`;
}
