/**
 * Hunts bugs in bench:profile's tables that would point the optimisation at the wrong place:
 * µs per saga divided by the wrong count, shares of the wrong whole, a pipe in a function name
 * breaking the table's columns, a CPU total that leaves out a process.
 */
import { describe, expect, it } from 'vitest';
import { levelFigures } from '../peer/peer-report.ts';
import { parseCpuProfile, profileTree, timeByCategory, topSelfFunctions } from './cpu-profile.ts';
import { HAND_MADE } from './hand-made-profile.ts';
import { renderBusyLine, renderCpuTable, renderTopTable } from './profile-report.ts';

const tree = profileTree(parseCpuProfile(JSON.stringify(HAND_MADE)), {
  repoRoot: '/repo',
  sourceLine: () => 42,
});

describe('renderTopTable', () => {
  it('shows the share of busy time, the CPU per saga it stands for, and own and total ms', () => {
    const rows = renderTopTable(topSelfFunctions(tree, 3), tree, 3).trim().split('\n');
    expect(rows).toHaveLength(5);
    // hot: 4 ms of 8 busy = 50 %; the process used 3 ms CPU per saga: 1500 µs of it.
    expect(rows[2]).toBe(
      '| 1 | 50.0 % | 1500 | 4 | 4 | `hot` | libs/quorum/store.ts:42 | ours | ' +
        '`main` apps/order/main.ts:42 (100 %) |',
    );
  });

  it('escapes a pipe in a name so the columns hold', () => {
    const table = renderTopTable(
      [{ name: 'a|b', location: '', category: 'vm', selfMs: 1, totalMs: 1 }],
      tree,
      undefined,
    );
    expect(table).toContain('| 1 | 12.5 % | - | 1 | 1 | `a\\|b` | - | VM | - |');
  });
});

describe('renderTopTable by total', () => {
  it('takes the share and the CPU estimate from the total time', () => {
    const main = topSelfFunctions(tree, 10).filter((f) => f.name === 'main');
    const rows = renderTopTable(main, tree, 8, 'total').trim().split('\n');
    expect(rows[0]).toContain('| # | total % of busy |');
    // main: 7 ms of 8 busy; 87.5 % of 8 ms CPU per saga = 7000 µs.
    expect(rows[2]).toMatch(/^\| 1 \| 87\.5 % \| 7000 \| 1 \| 7 \| `main` /);
  });
});

describe('renderBusyLine', () => {
  it('states busy and idle time, the CPU per saga and the share by owner', () => {
    expect(renderBusyLine(tree, timeByCategory(tree), 4)).toBe(
      'main thread not idle 8 ms of 10 ms (80 %), idle 2 ms; the process used 4.00 ms CPU per ' +
        'saga (/proc); busy time by owner: ours 63 %, dependencies 13 %, Node 13 %, GC and VM 13 %',
    );
  });
});

describe('renderCpuTable', () => {
  it('lists every process per saga and the total', () => {
    const figures = levelFigures(
      {
        clients: 1,
        seconds: 1,
        latenciesMs: [1, 2, 3, 4],
        outcomes: { COMPLETED: 4 },
        errors: 0,
        firstErrors: [],
      },
      { 'order-1': 20, 'pg-1': 6 },
    );
    expect(renderCpuTable(figures)).toBe(
      '| process | CPU ms/saga |\n| --- | --- |\n| order-1 | 5.00 |\n| pg-1 | 1.50 |\n| **all** | **6.50** |\n',
    );
  });
});
