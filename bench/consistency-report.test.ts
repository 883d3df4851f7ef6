/**
 * Hunts bugs in the bench's report: a table prettier would re-align (so the pasted section churns
 * on every format run), a refused phase shown as 0 % of nothing or as NaN, and an eventual-mode
 * stale read failing the run while a quorum-mode one passes.
 */
import { describe, expect, it } from 'vitest';
import type { TallyRow } from './consistency-report.ts';
import {
  markdownTable,
  newTally,
  p99Ratios,
  quorumViolations,
  refusalLines,
  renderPhaseTable,
} from './consistency-report.ts';

function row(
  mode: TallyRow['mode'],
  phase: TallyRow['phase'],
  edit: Partial<ReturnType<typeof newTally>>,
) {
  return { mode, label: mode, phase, tally: { ...newTally(), ...edit } } satisfies TallyRow;
}

describe('the markdown table', () => {
  it('pads every cell to its column width', () => {
    const lines = markdownTable(['a', 'long header'], [['wide cell', 'x']]).split('\n');
    expect(lines).toEqual([
      '| a         | long header |',
      '| --------- | ----------- |',
      '| wide cell | x           |',
    ]);
  });
});

describe('the phase table', () => {
  it('shows success rates with their counts, stale reads with their share, and latency percentiles', () => {
    const table = renderPhaseTable([
      row('eventual', 'healed', {
        reserves: 4,
        reservesOk: 4,
        reads: 4,
        readsOk: 4,
        readLatencies: [1, 2, 3, 4],
        writes: 4,
        writesOk: 4,
        writeLatencies: [5, 6, 7, 8],
        staleReads: 1,
      }),
    ]);
    const cells = table
      .split('\n')[2]!
      .split('|')
      .map((c) => c.trim());
    expect(cells.slice(1, -1)).toEqual([
      'eventual',
      'healed',
      '100.0 % (4/4)',
      '2.0',
      '4.0',
      '100.0 % (4/4)',
      '6.0',
      '8.0',
      '1 (25.0 %)',
      '0',
      '100.0 % (4/4)',
    ]);
  });

  it('says when no write was even tried instead of printing 0 % or NaN', () => {
    const table = renderPhaseTable([
      row('quorum', 'two replicas paused', { reserves: 10, reads: 10 }),
    ]);
    const cells = table
      .split('\n')[2]!
      .split('|')
      .map((c) => c.trim());
    expect(cells[3]).toBe('0.0 % (0/10)');
    expect(cells[4]).toBe('-');
    expect(cells[6]).toBe('- (0 tried)');
    expect(table).not.toContain('NaN');
  });
});

describe('the refusal lines', () => {
  it('report how long refused reads took, only for phases that refused any', () => {
    const lines = refusalLines([
      row('eventual', 'two replicas paused', {}),
      row('quorum', 'two replicas paused', { refusedReadLatencies: [1000, 1010] }),
    ]);
    expect(lines).toEqual([
      'quorum, two replicas paused: 2 refused reads failed after p50 1000.0 ms, p99 1010.0 ms',
    ]);
  });
});

describe('the verdict', () => {
  it('fails on stale reads in quorum and linearizable mode, in any phase, and never in eventual', () => {
    const rows = [
      row('eventual', 'healthy', { staleReads: 7 }),
      row('quorum', 'healthy', {}),
      row('linearizable', 'healed', { staleReads: 1 }),
    ];
    expect(quorumViolations(rows).map((r) => r.mode)).toEqual(['linearizable']);
  });
});

describe('the p99 ratios', () => {
  it('compares each mode with the first one in the same phase', () => {
    const rows = [
      row('eventual', 'healthy', { readLatencies: [2] }),
      row('quorum', 'healthy', { readLatencies: [3] }),
      row('quorum', 'healed', { readLatencies: [100] }),
      row('linearizable', 'healthy', { readLatencies: [5] }),
    ];
    expect(p99Ratios(rows, 'healthy', 'readLatencies')).toBe(
      'quorum / eventual = 1.50x, linearizable / eventual = 2.50x',
    );
  });
});
