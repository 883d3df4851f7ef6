/**
 * A V8 `.cpuprofile` (what `node --cpu-prof` writes) reduced to a call tree with self and total
 * milliseconds per frame, for the flame graph and the top self-time table of `bench:profile`.
 *
 * Time comes from the samples: sample i lasts until sample i + 1 (the last one until the
 * profile's end), and only samples inside the measured window count, so the start-up and the
 * shutdown of the process stay out. Profile timestamps are microseconds of the monotonic clock
 * `process.hrtime` reads, so the bench marks its window with that clock. Sibling nodes of the
 * same function (V8 keeps one per code version) are merged. `(idle)` is time off the CPU: it is
 * counted apart and kept out of the tree, whose root is the busy time of the main thread.
 */
import { z } from 'zod';
import { compiledByTsx } from './source-lines.ts';

const callFrameSchema = z.object({
  functionName: z.string(),
  url: z.string(),
  /** 0-based, -1 when unknown. */
  lineNumber: z.number(),
});

const profileSchema = z.object({
  nodes: z
    .array(
      z.object({
        id: z.number(),
        callFrame: callFrameSchema,
        hitCount: z.number().optional(),
        children: z.array(z.number()).optional(),
      }),
    )
    .min(1),
  startTime: z.number(),
  endTime: z.number(),
  samples: z.array(z.number()).optional(),
  timeDeltas: z.array(z.number()).optional(),
});

export type CpuProfile = z.infer<typeof profileSchema>;

/** Parses the JSON text of a `.cpuprofile`; the error says what is wrong with it. */
export function parseCpuProfile(text: string): CpuProfile {
  const parsed = profileSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new Error(`not a V8 CPU profile: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  }
  const { samples, timeDeltas } = parsed.data;
  if ((samples?.length ?? 0) !== (timeDeltas?.length ?? 0)) {
    throw new Error('not a V8 CPU profile: samples and timeDeltas differ in length');
  }
  return parsed.data;
}

/** Where a frame's code lives, for colour and grouping. */
export type FrameCategory = 'ours' | 'dependency' | 'node' | 'vm';

export interface FlameFrame {
  /** Function name, `(anonymous)` when V8 has none. */
  readonly name: string;
  /** `path:line` (1-based), relative to the repository; empty for VM frames. */
  readonly location: string;
  readonly category: FrameCategory;
  selfMs: number;
  totalMs: number;
  readonly children: FlameFrame[];
}

export interface ProfileTree {
  /** Busy time of the thread in the window: the root's total. */
  readonly root: FlameFrame;
  /** Time the thread sat in `(idle)` in the window. */
  readonly idleMs: number;
  /** Length of the window the samples were taken from, in ms. */
  readonly windowMs: number;
}

/** A window in profile time (microseconds of the monotonic clock); open ends allowed. */
export interface ProfileWindow {
  readonly fromUs?: number;
  readonly toUs?: number;
}

const VM_NAMES = new Set(['(root)', '(program)', '(garbage collector)', '(idle)']);

export function frameCategory(functionName: string, url: string): FrameCategory {
  if (VM_NAMES.has(functionName) && url === '') return 'vm';
  if (url.includes('/node_modules/')) return 'dependency';
  if (url === '' || url.startsWith('node:')) return 'node';
  return 'ours';
}

/** `file:///repo/apps/x.ts` as `apps/x.ts`; a dependency from its `node_modules/` on. */
export function shortUrl(url: string, repoRoot: string): string {
  let path = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  const modules = path.lastIndexOf('/node_modules/');
  if (modules >= 0) return path.slice(modules + 1);
  const root = repoRoot.endsWith('/') ? repoRoot : `${repoRoot}/`;
  if (path.startsWith(root)) path = path.slice(root.length);
  return path;
}

/** Milliseconds of own time per profile node id, from the samples in the window. */
function selfTimes(
  profile: CpuProfile,
  window: ProfileWindow,
): { self: Map<number, number>; windowMs: number } {
  const from = window.fromUs ?? -Infinity;
  const to = window.toUs ?? Infinity;
  const windowMs = (Math.min(to, profile.endTime) - Math.max(from, profile.startTime)) / 1000;
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  if (samples.length === 0) {
    // No sample list: spread the profile's length over the hit counts (no window possible).
    const hits = profile.nodes.reduce((sum, n) => sum + (n.hitCount ?? 0), 0);
    const each = hits > 0 ? (profile.endTime - profile.startTime) / 1000 / hits : 0;
    for (const node of profile.nodes) self.set(node.id, (node.hitCount ?? 0) * each);
    return { self, windowMs: (profile.endTime - profile.startTime) / 1000 };
  }
  let at = profile.startTime;
  const times = deltas.map((delta) => (at += delta));
  for (let i = 0; i < samples.length; i++) {
    const start = times[i]!;
    const end = i + 1 < times.length ? times[i + 1]! : profile.endTime;
    // V8 sometimes records a sample a little out of order: such an interval counts as empty.
    const lo = Math.max(start, from);
    const hi = Math.min(end, to);
    if (hi <= lo) continue;
    self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + (hi - lo) / 1000);
  }
  return { self, windowMs: Math.max(0, windowMs) };
}

/** The call tree of the window: merged siblings, self and total ms, idle apart. */
export function profileTree(
  profile: CpuProfile,
  options: ProfileWindow & {
    repoRoot: string;
    /**
     * The source line of a function of ours that tsx compiled (V8's line is of the compiled
     * code); undefined when unknown. @default none: such frames show their file only
     */
    sourceLine?: (url: string, functionName: string) => number | undefined;
  },
): ProfileTree {
  const { self, windowMs } = selfTimes(profile, options);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const childIds = new Set(profile.nodes.flatMap((node) => node.children ?? []));
  const rootNode = profile.nodes.find((node) => !childIds.has(node.id)) ?? profile.nodes[0]!;
  let idleMs = 0;
  const root: FlameFrame = {
    name: 'all',
    location: '',
    category: 'vm',
    selfMs: 0,
    totalMs: 0,
    children: [],
  };
  const keyOf = (frame: FlameFrame) => `${frame.name}\u0000${frame.location}`;
  const stack: { id: number; into: FlameFrame }[] = (rootNode.children ?? []).map((id) => ({
    id,
    into: root,
  }));
  root.selfMs += self.get(rootNode.id) ?? 0;
  const siblings = new Map<FlameFrame, Map<string, FlameFrame>>();
  while (stack.length > 0) {
    const { id, into } = stack.pop()!;
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const ms = self.get(id) ?? 0;
    if (functionName === '(idle)' && url === '') {
      idleMs += ms;
      continue;
    }
    const category = frameCategory(functionName, url);
    const line = compiledByTsx(url)
      ? options.sourceLine?.(url, functionName)
      : lineNumber >= 0
        ? lineNumber + 1
        : undefined;
    const location =
      category === 'vm' || url === ''
        ? ''
        : `${shortUrl(url, options.repoRoot)}${line === undefined ? '' : `:${line}`}`;
    const fresh: FlameFrame = {
      name: functionName === '' ? '(anonymous)' : functionName,
      location,
      category,
      selfMs: 0,
      totalMs: 0,
      children: [],
    };
    let known = siblings.get(into);
    if (!known) siblings.set(into, (known = new Map()));
    let frame = known.get(keyOf(fresh));
    if (!frame) {
      frame = fresh;
      known.set(keyOf(fresh), frame);
      into.children.push(frame);
    }
    frame.selfMs += ms;
    for (const child of node.children ?? []) stack.push({ id: child, into: frame });
  }
  sumTotals(root);
  prune(root);
  return { root, idleMs, windowMs };
}

function sumTotals(frame: FlameFrame): number {
  frame.totalMs = frame.selfMs + frame.children.reduce((sum, child) => sum + sumTotals(child), 0);
  return frame.totalMs;
}

/** Drops frames that got no time in the window; orders siblings by name for a stable picture. */
function prune(frame: FlameFrame): void {
  const kept = frame.children.filter((child) => child.totalMs > 0);
  kept.sort((a, b) => a.name.localeCompare(b.name) || a.location.localeCompare(b.location));
  frame.children.splice(0, frame.children.length, ...kept);
  for (const child of kept) prune(child);
}

export interface FunctionTime {
  readonly name: string;
  readonly location: string;
  readonly category: FrameCategory;
  /** Own time over every call path. */
  readonly selfMs: number;
  /** Time with callees, a recursive call counted once. */
  readonly totalMs: number;
  /**
   * Who asks for this time: the nearest caller in another file of ours or another package (Node
   * and the VM skipped) on the paths that carry most of the own time, with the share of the own
   * time under it. For a socket write, the client library that writes; for a dependency's
   * function, the code of ours that calls it. Undefined when no such caller is on the stack.
   */
  readonly via?: { readonly name: string; readonly location: string; readonly share: number };
}

/** A file of ours, or a dependency's package; undefined for Node and the VM. */
function ownerOf(frame: FlameFrame): string | undefined {
  if (frame.category === 'ours') return frame.location.replace(/:\d+$/, '');
  if (frame.category !== 'dependency') return undefined;
  const [, scope, name] = /^node_modules\/(@[^/]+\/)?([^/]+)/.exec(frame.location) ?? [];
  return `${scope ?? ''}${name ?? frame.location}`;
}

/** Functions by own time, highest first (the hot spots, whatever path reached them). */
export function topSelfFunctions(tree: ProfileTree, count: number): FunctionTime[] {
  return functionTimes(tree)
    .filter((f) => f.selfMs > 0)
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, count);
}

/**
 * Functions of our own code by total time (with what they call synchronously), highest first:
 * the paths of ours that carry the hot spots. Work resumed after an await starts a new stack,
 * so a total covers one synchronous stretch at a time.
 */
export function topOwnCodeByTotal(tree: ProfileTree, count: number): FunctionTime[] {
  return functionTimes(tree)
    .filter((f) => f.category === 'ours')
    .sort((a, b) => b.totalMs - a.totalMs)
    .slice(0, count);
}

/** Every function of the tree with its own and total time over all its call paths. */
export function functionTimes(tree: ProfileTree): FunctionTime[] {
  interface Entry {
    frame: FlameFrame;
    selfMs: number;
    totalMs: number;
    via: Map<string, { frame: FlameFrame; ms: number }>;
  }
  const byKey = new Map<string, Entry>();
  const keyOf = (frame: FlameFrame) => `${frame.name}\u0000${frame.location}`;
  const stack: FlameFrame[] = [];
  const walk = (frame: FlameFrame, open: Set<string>) => {
    const key = keyOf(frame);
    let entry = byKey.get(key);
    if (!entry) byKey.set(key, (entry = { frame, selfMs: 0, totalMs: 0, via: new Map() }));
    entry.selfMs += frame.selfMs;
    if (frame.selfMs > 0) {
      const own = ownerOf(frame);
      const caller = stack.findLast((up) => {
        const owner = ownerOf(up);
        return owner !== undefined && owner !== own;
      });
      if (caller) {
        const via = entry.via.get(keyOf(caller)) ?? { frame: caller, ms: 0 };
        via.ms += frame.selfMs;
        entry.via.set(keyOf(caller), via);
      }
    }
    const outermost = !open.has(key);
    if (outermost) {
      entry.totalMs += frame.totalMs;
      open.add(key);
    }
    stack.push(frame);
    for (const child of frame.children) walk(child, open);
    stack.pop();
    if (outermost) open.delete(key);
  };
  for (const child of tree.root.children) walk(child, new Set());
  return [...byKey.values()].map(({ frame, selfMs, totalMs, via }) => {
    const top = [...via.values()].sort((a, b) => b.ms - a.ms)[0];
    return {
      name: frame.name,
      location: frame.location,
      category: frame.category,
      selfMs,
      totalMs,
      ...(top
        ? { via: { name: top.frame.name, location: top.frame.location, share: top.ms / selfMs } }
        : {}),
    };
  });
}

/** Busy ms per category (each frame's own time), for the summary. */
export function timeByCategory(tree: ProfileTree): Record<FrameCategory, number> {
  const out: Record<FrameCategory, number> = { ours: 0, dependency: 0, node: 0, vm: 0 };
  const walk = (frame: FlameFrame) => {
    out[frame.category] += frame.selfMs;
    frame.children.forEach(walk);
  };
  walk(tree.root);
  return out;
}
