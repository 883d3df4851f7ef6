/**
 * Hunts bugs in how bench:profile turns a V8 CPU profile into figures: samples weighted by the
 * wrong interval, time outside the measured window (start-up, shutdown) counted, idle time shown
 * as work, a total that leaves out callees, duplicate siblings of one function drawn twice, a
 * recursive function's total counted once per level, and paths or categories misattributed.
 */
import { describe, expect, it } from 'vitest';
import {
  parseCpuProfile,
  profileTree,
  shortUrl,
  topOwnCodeByTotal,
  topSelfFunctions,
  timeByCategory,
} from './cpu-profile.ts';
import type { FlameFrame } from './cpu-profile.ts';
import { callFrame as frame, HAND_MADE } from './hand-made-profile.ts';

const child = (parent: FlameFrame, name: string) => {
  const found = parent.children.find((c) => c.name === name);
  if (!found) throw new Error(`${parent.name} has no child ${name}`);
  return found;
};

describe('profileTree', () => {
  const tree = profileTree(parseCpuProfile(JSON.stringify(HAND_MADE)), {
    repoRoot: '/repo',
    sourceLine: (url, name) => (url.endsWith('/store.ts') && name === 'hot' ? 7 : undefined),
  });

  it('counts idle apart and makes the root the busy time', () => {
    expect(tree.idleMs).toBe(2);
    expect(tree.root.totalMs).toBe(8);
    expect(tree.windowMs).toBe(10);
    expect(tree.root.children.map((c) => c.name)).toEqual(['(garbage collector)', 'main']);
  });

  it('merges sibling nodes of one function and sums self plus callees into the total', () => {
    const main = child(tree.root, 'main');
    expect(main.selfMs).toBe(1);
    expect(main.totalMs).toBe(7);
    expect(child(main, 'hot')).toMatchObject({ selfMs: 4, totalMs: 4 });
    expect(child(main, 'parse')).toMatchObject({ selfMs: 1, totalMs: 2 });
  });

  it('names locations relative to the repository, 1-based, and sorts frames by owner', () => {
    const main = child(tree.root, 'main');
    // V8's line of a .ts file is of tsx's output: the source line comes from `sourceLine`, or
    // none is shown.
    expect(child(main, 'hot')).toMatchObject({
      location: 'libs/quorum/store.ts:7',
      category: 'ours',
    });
    expect(main.location).toBe('apps/order/main.ts');
    const parse = child(main, 'parse');
    expect(parse).toMatchObject({ location: 'node_modules/pg/lib/x.js:1', category: 'dependency' });
    expect(child(parse, 'deep').category).toBe('node');
    expect(child(tree.root, '(garbage collector)')).toMatchObject({ location: '', category: 'vm' });
    expect(timeByCategory(tree)).toEqual({ ours: 5, dependency: 1, node: 1, vm: 1 });
  });

  it('counts only the part of each sample inside the window', () => {
    // Samples at 3000 (parse), 4000 (deep), 5000 and 6000 (idle): [3500, 6500] takes half of
    // the first and last.
    const cut = profileTree(parseCpuProfile(JSON.stringify(HAND_MADE)), {
      repoRoot: '/repo',
      fromUs: 3500,
      toUs: 6500,
    });
    expect(cut.windowMs).toBe(3);
    expect(cut.idleMs).toBe(1.5);
    expect(cut.root.totalMs).toBe(1.5);
    const parse = child(child(cut.root, 'main'), 'parse');
    expect(parse).toMatchObject({ selfMs: 0.5, totalMs: 1.5 });
    expect(child(cut.root, 'main').children.map((c) => c.name)).toEqual(['parse']);
  });

  it('rejects what is not a profile, naming the problem', () => {
    expect(() => parseCpuProfile('{"nodes":[]}')).toThrow(/not a V8 CPU profile/);
    expect(() => parseCpuProfile(JSON.stringify({ ...HAND_MADE, timeDeltas: [0] }))).toThrow(
      /samples and timeDeltas/,
    );
  });
});

describe('topSelfFunctions', () => {
  it('ranks by own time over all paths, with the total of each function', () => {
    const tree = profileTree(parseCpuProfile(JSON.stringify(HAND_MADE)), { repoRoot: '/repo' });
    const top = topSelfFunctions(tree, 2);
    expect(top).toHaveLength(2);
    expect(top[0]).toMatchObject({ name: 'hot', selfMs: 4, totalMs: 4 });
    expect(top[1]!.selfMs).toBe(1);
  });

  it('names the nearest caller in another file or package, skipping Node, with its share', () => {
    const tree = profileTree(parseCpuProfile(JSON.stringify(HAND_MADE)), { repoRoot: '/repo' });
    const top = topSelfFunctions(tree, 10);
    const via = (name: string) => top.find((f) => f.name === name)?.via;
    // deep is Node's: the package that called it is pg (parse), not our main further down.
    expect(via('deep')).toEqual({
      name: 'parse',
      location: 'node_modules/pg/lib/x.js:1',
      share: 1,
    });
    expect(via('parse')).toEqual({ name: 'main', location: 'apps/order/main.ts', share: 1 });
    expect(via('hot')?.name).toBe('main');
    expect(via('main')).toBeUndefined();
    expect(via('(garbage collector)')).toBeUndefined();
  });

  it('counts a recursive function’s total once, at its outermost call', () => {
    const recursive = {
      nodes: [
        { id: 1, callFrame: frame('(root)'), children: [2] },
        { id: 2, callFrame: frame('walk', 'file:///repo/libs/a.ts', 0), children: [3] },
        { id: 3, callFrame: frame('walk', 'file:///repo/libs/a.ts', 0), children: [4] },
        { id: 4, callFrame: frame('leaf', 'file:///repo/libs/a.ts', 9) },
      ],
      startTime: 0,
      endTime: 3000,
      samples: [2, 3, 4],
      timeDeltas: [0, 1000, 1000],
    };
    const tree = profileTree(parseCpuProfile(JSON.stringify(recursive)), { repoRoot: '/repo' });
    const walk = topSelfFunctions(tree, 5).find((f) => f.name === 'walk');
    expect(walk).toMatchObject({ selfMs: 2, totalMs: 3 });
  });
});

describe('topOwnCodeByTotal', () => {
  it('ranks only our functions, by total time with callees', () => {
    const tree = profileTree(parseCpuProfile(JSON.stringify(HAND_MADE)), { repoRoot: '/repo' });
    expect(topOwnCodeByTotal(tree, 5).map((f) => [f.name, f.totalMs])).toEqual([
      ['main', 7],
      ['hot', 4],
    ]);
  });
});

describe('shortUrl', () => {
  it('keeps a dependency from its innermost node_modules and decodes the file URL', () => {
    expect(shortUrl('file:///r/node_modules/a/node_modules/b/i.js', '/r')).toBe(
      'node_modules/b/i.js',
    );
    expect(shortUrl('file:///r/apps/my%20x.ts', '/r/')).toBe('apps/my x.ts');
    expect(shortUrl('node:internal/timers', '/r')).toBe('node:internal/timers');
  });
});
