/**
 * What the consistency-swap bench counts in each phase of each mode, and the markdown tables it
 * prints (pasted into docs/benchmarks.md). Pure: no clock, no I/O.
 */
import type { Consistency } from '@seamline/quorum-store';
import { percentile } from './load-stats.ts';
import type { StockAudit } from './stock-conservation.ts';

export type Phase = 'healthy' | 'one replica paused' | 'two replicas paused' | 'healed';

export const PHASES: readonly Phase[] = [
  'healthy',
  'one replica paused',
  'two replicas paused',
  'healed',
];

/** Counters of one mode in one phase; latencies in ms, successful operations only. */
export interface PhaseTally {
  /** Reserves started by the open loop. */
  reserves: number;
  /** Reserves whose read and write both succeeded. */
  reservesOk: number;
  reads: number;
  readsOk: number;
  readLatencies: number[];
  /** How long refused reads took to fail, in ms. */
  refusedReadLatencies: number[];
  /** The reserves' writes, plus a probe write for every reserve whose read was refused. */
  writes: number;
  writesOk: number;
  /** Failed writes that may have applied (re-driven by the sku's next reserve). */
  writesIndeterminate: number;
  writeLatencies: number[];
  /** Reads older than the last write acknowledged before they started. */
  staleReads: number;
  /** Records the store copied to lagging replicas (read repair, or ABD write-back). */
  repairedRecords: number;
}

export function newTally(): PhaseTally {
  return {
    reserves: 0,
    reservesOk: 0,
    reads: 0,
    readsOk: 0,
    readLatencies: [],
    refusedReadLatencies: [],
    writes: 0,
    writesOk: 0,
    writesIndeterminate: 0,
    writeLatencies: [],
    staleReads: 0,
    repairedRecords: 0,
  };
}

export interface TallyRow {
  readonly mode: Consistency;
  readonly label: string;
  readonly phase: Phase;
  readonly tally: PhaseTally;
}

function ms(latencies: readonly number[], p: number): string {
  if (latencies.length === 0) return '-';
  return percentile(
    [...latencies].sort((a, b) => a - b),
    p,
  ).toFixed(1);
}

function rate(ok: number, of: number): string {
  if (of === 0) return '- (0 tried)';
  return `${((100 * ok) / of).toFixed(1)} % (${ok}/${of})`;
}

/** Renders a markdown table with every cell padded, so prettier leaves it alone. */
export function markdownTable(header: readonly string[], rows: readonly string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function renderPhaseTable(rows: readonly TallyRow[]): string {
  return markdownTable(
    [
      'mode',
      'phase',
      'reads ok',
      'read p50 ms',
      'read p99 ms',
      'writes ok',
      'write p50 ms',
      'write p99 ms',
      'stale reads',
      'repaired',
      'reserves ok',
    ],
    rows.map(({ label, phase, tally: t }) => [
      label,
      phase,
      rate(t.readsOk, t.reads),
      ms(t.readLatencies, 50),
      ms(t.readLatencies, 99),
      rate(t.writesOk, t.writes),
      ms(t.writeLatencies, 50),
      ms(t.writeLatencies, 99),
      t.readsOk === 0
        ? String(t.staleReads)
        : `${t.staleReads} (${((100 * t.staleReads) / t.readsOk).toFixed(1)} %)`,
      String(t.repairedRecords),
      rate(t.reservesOk, t.reserves),
    ]),
  );
}

export interface AuditRow {
  readonly mode: Consistency;
  readonly label: string;
  readonly audit: StockAudit;
  readonly inDoubtUnits: number;
}

export function renderAuditTable(rows: readonly AuditRow[]): string {
  return markdownTable(
    [
      'mode',
      'units acknowledged',
      'units in newest records',
      'acknowledged units lost',
      'in doubt',
      'forked skus',
      'divergent skus',
    ],
    rows.map(({ label, audit: a, inDoubtUnits }) => [
      label,
      String(a.acknowledgedUnits),
      String(a.appliedUnits),
      String(a.lostUnits),
      String(inDoubtUnits),
      String(a.forkedSkus),
      String(a.divergentSkus),
    ]),
  );
}

/** p99 of `metric` in `phase` for each mode, as a ratio to the first mode's. */
export function p99Ratios(
  rows: readonly TallyRow[],
  phase: Phase,
  metric: 'readLatencies' | 'writeLatencies',
): string {
  const inPhase = rows.filter((r) => r.phase === phase);
  const p99 = (r: TallyRow) =>
    r.tally[metric].length === 0
      ? Number.NaN
      : percentile(
          [...r.tally[metric]].sort((a, b) => a - b),
          99,
        );
  const base = inPhase[0];
  if (base === undefined) return '';
  return inPhase
    .slice(1)
    .map((r) => `${r.label} / ${base.label} = ${(p99(r) / p99(base)).toFixed(2)}x`)
    .join(', ');
}

/** One line per mode and phase that refused reads: how long a caller waited to hear no. */
export function refusalLines(rows: readonly TallyRow[]): string[] {
  return rows
    .filter((r) => r.tally.refusedReadLatencies.length > 0)
    .map(
      (r) =>
        `${r.label}, ${r.phase}: ${r.tally.refusedReadLatencies.length} refused reads failed after p50 ${ms(r.tally.refusedReadLatencies, 50)} ms, p99 ${ms(r.tally.refusedReadLatencies, 99)} ms`,
    );
}

/** Quorum-mode stale reads break quorum visibility (invariant 4): each is a failure. */
export function quorumViolations(rows: readonly TallyRow[]): TallyRow[] {
  return rows.filter((r) => r.mode !== 'eventual' && r.tally.staleReads > 0);
}
