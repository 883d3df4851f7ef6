/** A small hand-made V8 CPU profile whose figures the profile and flame graph tests check. */

export const callFrame = (functionName: string, url = '', lineNumber = -1) => ({
  functionName,
  url,
  lineNumber,
});

/**
 * (root) -> main -> hot (ours), parse (node_modules) -> deep; a second `main` node (another code
 * version of the same function); (idle); (garbage collector). Ten samples of 1 ms each.
 */
export const HAND_MADE = {
  nodes: [
    { id: 1, callFrame: callFrame('(root)'), children: [2, 5, 6, 7] },
    { id: 2, callFrame: callFrame('main', 'file:///repo/apps/order/main.ts', 8), children: [3, 4] },
    { id: 3, callFrame: callFrame('hot', 'file:///repo/libs/quorum/store.ts', 41) },
    {
      id: 4,
      callFrame: callFrame('parse', 'file:///repo/node_modules/pg/lib/x.js', 0),
      children: [9],
    },
    { id: 9, callFrame: callFrame('deep', 'node:internal/streams', 2) },
    { id: 5, callFrame: callFrame('(idle)') },
    { id: 6, callFrame: callFrame('main', 'file:///repo/apps/order/main.ts', 8) },
    { id: 7, callFrame: callFrame('(garbage collector)') },
  ],
  startTime: 1000,
  endTime: 11_000,
  samples: [3, 3, 4, 9, 5, 5, 6, 7, 3, 3],
  timeDeltas: [0, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
};
