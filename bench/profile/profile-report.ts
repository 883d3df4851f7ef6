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

/** Top self-time functions as a Markdown table. `sagas` finished in the window. */
export function renderTopTable(
  top: readonly FunctionTime[],
  tree: ProfileTree,
  sagas: number,
): string {
  const busy = tree.root.totalMs;
  const lines = [
    '| # | self ms | self % of busy | self µs/saga | total ms | function | where | kind | called from (nearest other file or package) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  top.forEach((f, i) => {
    const perSaga = sagas > 0 ? ((f.selfMs * 1000) / sagas).toFixed(0) : '-';
    lines.push(
      `| ${i + 1} | ${f.selfMs.toFixed(0)} | ${busy > 0 ? ((f.selfMs / busy) * 100).toFixed(1) : '-'} % | ` +
        `${perSaga} | ${f.totalMs.toFixed(0)} | \`${cell(f.name)}\` | ${cell(f.location) || '-'} | ${KIND[f.category]} | ` +
        `${f.via ? `\`${cell(f.via.name)}\` ${cell(f.via.location)} (${(f.via.share * 100).toFixed(0)} %)` : '-'} |`,
    );
  });
  return `${lines.join('\n')}\n`;
}

/** One line under a service's table: busy, idle and the share by owner. */
export function renderBusyLine(
  tree: ProfileTree,
  byCategory: Record<FrameCategory, number>,
  sagas: number,
): string {
  const busy = tree.root.totalMs;
  const share = (category: FrameCategory) =>
    busy > 0 ? `${((byCategory[category] / busy) * 100).toFixed(0)} %` : '-';
  return (
    `main thread busy ${busy.toFixed(0)} ms of ${tree.windowMs.toFixed(0)} ms ` +
    `(${sagas > 0 ? (busy / sagas).toFixed(2) : '-'} ms/saga; idle ${tree.idleMs.toFixed(0)} ms); ` +
    `own time: ours ${share('ours')}, dependencies ${share('dependency')}, Node ${share('node')}, ` +
    `GC and VM ${share('vm')}`
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
