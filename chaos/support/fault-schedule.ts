/**
 * The fault schedule of the combined-faults run (design brief, failure scenario 4): a pure
 * function of (seed, run length, topology), so `--seed` asks for the same faults, in the same
 * order, on the same targets, for the same durations. How the pipeline reacts still varies.
 *
 *   0 ── warm-up ──┬─ window 1 ───────────┬─ gap ─┬─ window 2 ──────┬─ gap ─ ... ─┤ run length
 *                  │ A ━━━━━━━━━━━        │       │ D ━━━━━━━━━━━━━ │
 *                  │  B ━━━━━━━━━━━━━━━━━ │       │ E ━━━━━━━       │
 *                  │ C ━━━━━━             │       │                 │
 *                  └ every fault starts within STAGGER_MS and lasts longer: all overlap
 *
 * Every fault of a window starts within STAGGER_MS of the window's start and lasts longer than
 * STAGGER_MS, so all of a window's faults (two or three) are active together. Windows never
 * overlap, which keeps these limits over the whole run:
 * - one PostgreSQL replica paused at most, and only with 3 replicas (W = 2 stays reachable);
 * - one NATS node down at most, and only with 3 nodes (replicated streams keep a majority);
 * - one order-leader fault (pause or kill) per window, only with 2+ replicas; a pause outlasts
 *   the lease by 1-3 s, so a successor takes over while the old leader is frozen;
 * - one of payment / inventory killed per window;
 * - one bus rule per command pattern per window.
 * A kill's duration is how long the process stays down; its restart comes on top. When a slow
 * restart runs a fault past its window, the injector (fault-injector.ts) holds the next fault
 * of the same kind back, so the limits hold at run time too.
 */
import type { Random } from './seeded-random.ts';
import { seededRandom } from './seeded-random.ts';

export const FAULT_KINDS = [
  'pause-leader',
  'kill-leader',
  'kill-service',
  'drop-reply',
  'fail',
  'delay',
  'kill-nats',
  'pause-postgres',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const COMMAND_PATTERNS = [
  'payment.charge',
  'payment.refund',
  'inventory.reserve',
  'inventory.release',
] as const;
export type CommandPattern = (typeof COMMAND_PATTERNS)[number];

/** What a fault does and to what; the order leader is resolved when the fault starts. */
export type FaultSpec =
  | { readonly kind: 'pause-leader' }
  | { readonly kind: 'kill-leader' }
  | { readonly kind: 'kill-service'; readonly service: 'payment' | 'inventory' }
  /** Replies of this share of the pattern's commands are lost after the effect committed. */
  | { readonly kind: 'drop-reply'; readonly pattern: CommandPattern; readonly rate: number }
  /** Every command of the pattern fails (the bus redelivers, the orchestrator re-drives). */
  | { readonly kind: 'fail'; readonly pattern: CommandPattern }
  | { readonly kind: 'delay'; readonly pattern: CommandPattern; readonly delayMs: number }
  | { readonly kind: 'kill-nats'; readonly node: string }
  | { readonly kind: 'pause-postgres'; readonly replica: string };

export type ScheduledFault = FaultSpec & {
  /** `w<window>-<n>`, also the id of its bus rule. */
  readonly id: string;
  /** 1-based. */
  readonly window: number;
  /** From the start of the load. */
  readonly atMs: number;
  readonly durationMs: number;
};

/** What the schedule may touch. */
export interface ScheduleTopology {
  readonly orderReplicas: number;
  /** Supervisor names of the NATS nodes (`nats-1`...). */
  readonly natsNodes: readonly string[];
  /** Supervisor names of the PostgreSQL replicas (`pg-1`...). */
  readonly postgres: readonly string[];
  /** The order replicas' lease (SEAMLINE_LEASE_MS). */
  readonly leaseMs: number;
}

export interface ScheduleInput {
  readonly seed: number;
  /** The run's length from the start of the load; every fault ends by then. */
  readonly durationMs: number;
  readonly topology: ScheduleTopology;
}

/** Load without faults before the first window. */
export const WARMUP_MS = 3_000;
/** Every fault of a window starts this soon after the window does. */
export const STAGGER_MS = 1_000;
/** Quiet time between two windows. */
export const GAP_MS = { min: 2_000, max: 4_000 } as const;

type Range = { readonly min: number; readonly max: number };

function durationRange(kind: FaultKind, leaseMs: number): Range {
  switch (kind) {
    case 'pause-leader':
      return { min: leaseMs + 1_000, max: leaseMs + 3_000 };
    case 'kill-leader':
    case 'kill-service':
      return { min: 2_000, max: 5_000 };
    case 'drop-reply':
    case 'delay':
      return { min: 4_000, max: 10_000 };
    case 'fail':
    case 'kill-nats':
      return { min: 3_000, max: 8_000 };
    case 'pause-postgres':
      return { min: 2_000, max: 6_000 };
  }
}

const BUS_KINDS: readonly FaultKind[] = ['drop-reply', 'fail', 'delay'];

/** A run this long always has room for one window, whatever the seed (the longest minimum). */
export function minimumDurationMs(topology: ScheduleTopology): number {
  return WARMUP_MS + STAGGER_MS + durationRange('pause-leader', topology.leaseMs).min;
}

/** The run's faults, ordered by start time. Throws when not even one window fits. */
export function planFaults(input: ScheduleInput): ScheduledFault[] {
  const { durationMs, topology } = input;
  if (!Number.isSafeInteger(durationMs) || durationMs <= 0)
    throw new RangeError(`durationMs must be a positive integer, got ${durationMs}`);
  const r = seededRandom(input.seed);
  const faults: ScheduledFault[] = [];
  let at = WARMUP_MS;
  for (let window = 1; ; window++) {
    const planned = planWindow(r, window, at, durationMs, topology);
    if (planned.length < 2) break;
    faults.push(...planned);
    at = Math.max(...planned.map((f) => f.atMs + f.durationMs)) + r.int(GAP_MS.min, GAP_MS.max);
  }
  if (faults.length === 0) {
    throw new RangeError(
      `a ${durationMs} ms run has no room for two overlapping faults ` +
        `(at least ${minimumDurationMs(topology)} ms with this topology)`,
    );
  }
  return faults.sort((a, b) => a.atMs - b.atMs || a.id.localeCompare(b.id));
}

function planWindow(
  r: Random,
  window: number,
  start: number,
  durationMs: number,
  t: ScheduleTopology,
): ScheduledFault[] {
  const wanted = r.chance(1 / 3) ? 3 : 2;
  const out: ScheduledFault[] = [];
  const patternsUsed = new Set<CommandPattern>();
  for (let n = 1; n <= wanted; n++) {
    const atMs = start + stepped(r, 0, STAGGER_MS);
    const room = durationMs - atMs;
    const kinds = FAULT_KINDS.filter(
      (k) =>
        durationRange(k, t.leaseMs).min <= room &&
        allowed(k, t) &&
        !out.some((f) => conflicts(f.kind, k)) &&
        (!BUS_KINDS.includes(k) || patternsUsed.size < COMMAND_PATTERNS.length),
    );
    if (kinds.length === 0) break;
    const kind = r.pick(kinds);
    const range = durationRange(kind, t.leaseMs);
    const spec = specFor(
      r,
      kind,
      t,
      COMMAND_PATTERNS.filter((p) => !patternsUsed.has(p)),
    );
    if ('pattern' in spec) patternsUsed.add(spec.pattern);
    out.push({
      ...spec,
      id: `w${window}-${n}`,
      window,
      atMs,
      durationMs: stepped(r, range.min, Math.min(range.max, room)),
    });
  }
  return out;
}

function allowed(kind: FaultKind, t: ScheduleTopology): boolean {
  if (kind === 'pause-leader' || kind === 'kill-leader') return t.orderReplicas >= 2;
  if (kind === 'kill-nats') return t.natsNodes.length >= 3;
  if (kind === 'pause-postgres') return t.postgres.length >= 3;
  return true;
}

function conflicts(a: FaultKind, b: FaultKind): boolean {
  const leader = (k: FaultKind) => k === 'pause-leader' || k === 'kill-leader';
  if (leader(a) && leader(b)) return true;
  // Bus rules conflict per pattern only (the caller tracks the patterns in use).
  return a === b && !BUS_KINDS.includes(a);
}

function specFor(
  r: Random,
  kind: FaultKind,
  t: ScheduleTopology,
  freePatterns: readonly CommandPattern[],
): FaultSpec {
  switch (kind) {
    case 'pause-leader':
    case 'kill-leader':
      return { kind };
    case 'kill-service':
      return { kind, service: r.pick(['payment', 'inventory'] as const) };
    case 'drop-reply':
      return { kind, pattern: r.pick(freePatterns), rate: r.int(2, 6) / 10 };
    case 'fail':
      return { kind, pattern: r.pick(freePatterns) };
    case 'delay':
      return { kind, pattern: r.pick(freePatterns), delayMs: r.int(3, 15) * 100 };
    case 'kill-nats':
      return { kind, node: r.pick(t.natsNodes) };
    case 'pause-postgres':
      return { kind, replica: r.pick(t.postgres) };
  }
}

/** Uniform in [min, max] in steps of 100 ms from min, so printed times stay short. */
function stepped(r: Random, min: number, max: number): number {
  return min + 100 * r.int(0, Math.floor((max - min) / 100));
}

/** What the fault hits, for the printed schedule. */
export function faultTarget(f: FaultSpec): string {
  switch (f.kind) {
    case 'pause-leader':
    case 'kill-leader':
      return 'order leader';
    case 'kill-service':
      return f.service;
    case 'drop-reply':
      return `${f.pattern} replies, rate ${f.rate}`;
    case 'fail':
      return `${f.pattern}, every command`;
    case 'delay':
      return `${f.pattern}, +${f.delayMs} ms`;
    case 'kill-nats':
      return f.node;
    case 'pause-postgres':
      return f.replica;
  }
}

/** One line per fault: time, window, fault, target, duration. */
export function renderSchedule(faults: readonly ScheduledFault[]): string[] {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  return faults.map(
    (f) =>
      `  at ${s(f.atMs).padStart(7)}  window ${String(f.window).padEnd(2)} ${f.kind.padEnd(14)} ` +
      `${faultTarget(f).padEnd(38)} for ${s(f.durationMs)}`,
  );
}

/** The most intervals active at one instant (an interval is active on [start, end)). */
export function peakOverlap(intervals: readonly { start: number; end: number }[]): number {
  const edges = intervals.flatMap((i) => [
    { at: i.start, delta: 1 },
    { at: i.end, delta: -1 },
  ]);
  // Ends before starts at the same instant: touching intervals do not overlap.
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let active = 0;
  let peak = 0;
  for (const e of edges) {
    active += e.delta;
    peak = Math.max(peak, active);
  }
  return peak;
}
