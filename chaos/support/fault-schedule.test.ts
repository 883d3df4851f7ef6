/**
 * The combined-faults schedule. Hunts: a schedule that depends on anything but (seed, length,
 * topology), so `--seed` would not replay it; a window whose faults do not all overlap (the
 * scenario would test one fault at a time); two PostgreSQL replicas or two NATS nodes down at
 * once (the stack would lose its quorum, and the run would test nothing but an outage); a
 * leader pause shorter than the lease (no successor, no fencing); faults on a topology that
 * cannot take them; a fault still running when the run ends.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ScheduledFault, ScheduleTopology } from './fault-schedule.ts';
import {
  GAP_MS,
  minimumDurationMs,
  peakOverlap,
  planFaults,
  renderSchedule,
  STAGGER_MS,
  WARMUP_MS,
} from './fault-schedule.ts';

const full: ScheduleTopology = {
  orderReplicas: 3,
  natsNodes: ['nats-1', 'nats-2', 'nats-3'],
  postgres: ['pg-1', 'pg-2', 'pg-3'],
  leaseMs: 3_000,
};
const single: ScheduleTopology = { ...full, natsNodes: ['nats-1'] };

const arbInput = fc.record({
  seed: fc.integer({ min: 1, max: 2 ** 31 - 2 }),
  durationMs: fc.integer({ min: 12_000, max: 180_000 }),
  topology: fc.constantFrom(full, single),
});

const interval = (f: ScheduledFault) => ({ start: f.atMs, end: f.atMs + f.durationMs });

function windows(faults: readonly ScheduledFault[]): ScheduledFault[][] {
  const out = new Map<number, ScheduledFault[]>();
  for (const f of faults) out.set(f.window, [...(out.get(f.window) ?? []), f]);
  return [...out.values()];
}

describe('planFaults', () => {
  it('is a pure function of seed, length and topology', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        expect(planFaults(input)).toEqual(planFaults(structuredClone(input)));
      }),
    );
  });

  it('prints the same schedule for the same seed, and a different one for another seed', () => {
    const a = renderSchedule(planFaults({ seed: 42, durationMs: 60_000, topology: full }));
    expect(renderSchedule(planFaults({ seed: 42, durationMs: 60_000, topology: full }))).toEqual(a);
    expect(
      renderSchedule(planFaults({ seed: 43, durationMs: 60_000, topology: full })),
    ).not.toEqual(a);
    expect(a[0]).toMatch(/^ {2}at +\d+\.\d s {2}window 1 /);
  });

  it('puts two or three faults in every window, all active together, and no two windows overlap', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        const ws = windows(planFaults(input));
        expect(ws.length).toBeGreaterThanOrEqual(1);
        ws.forEach((w, i) => {
          expect(w.length).toBeGreaterThanOrEqual(2);
          expect(w.length).toBeLessThanOrEqual(3);
          expect(peakOverlap(w.map(interval))).toBe(w.length);
          const start = Math.min(...w.map((f) => f.atMs));
          for (const f of w) expect(f.atMs - start).toBeLessThanOrEqual(STAGGER_MS);
          const next = ws[i + 1];
          if (next !== undefined) {
            const end = Math.max(...w.map((f) => f.atMs + f.durationMs));
            const gap = Math.min(...next.map((f) => f.atMs)) - end;
            expect(gap).toBeGreaterThanOrEqual(GAP_MS.min);
          }
        });
      }),
    );
  });

  it('keeps quorum: never two PostgreSQL replicas paused or two NATS nodes down at once', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        const faults = planFaults(input);
        for (const kind of ['pause-postgres', 'kill-nats', 'kill-service'] as const) {
          expect(peakOverlap(faults.filter((f) => f.kind === kind).map(interval))).toBeLessThan(2);
        }
        const leader = faults.filter((f) => f.kind === 'pause-leader' || f.kind === 'kill-leader');
        expect(peakOverlap(leader.map(interval))).toBeLessThan(2);
        for (const w of windows(faults)) {
          const patterns = w.flatMap((f) => ('pattern' in f ? [f.pattern] : []));
          expect(new Set(patterns).size).toBe(patterns.length);
        }
      }),
    );
  });

  it('pauses the leader longer than its lease and ends every fault within the run', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        for (const f of planFaults(input)) {
          expect(f.atMs).toBeGreaterThanOrEqual(WARMUP_MS);
          expect(f.atMs + f.durationMs).toBeLessThanOrEqual(input.durationMs);
          expect(f.durationMs).toBeGreaterThan(STAGGER_MS);
          if (f.kind === 'pause-leader')
            expect(f.durationMs).toBeGreaterThanOrEqual(input.topology.leaseMs + 1_000);
        }
      }),
    );
  });

  it('kills NATS nodes only on a 3-node cluster, and only the topology’s own processes', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        for (const f of planFaults(input)) {
          if (f.kind === 'kill-nats') {
            expect(input.topology.natsNodes.length).toBe(3);
            expect(input.topology.natsNodes).toContain(f.node);
          }
          if (f.kind === 'pause-postgres') expect(input.topology.postgres).toContain(f.replica);
        }
      }),
    );
  });

  it('draws every kind of fault over enough seeds', () => {
    const kinds = new Set<string>();
    for (let seed = 1; seed <= 50; seed++)
      for (const f of planFaults({ seed, durationMs: 60_000, topology: full })) kinds.add(f.kind);
    expect([...kinds].sort()).toEqual(
      [
        'delay',
        'drop-reply',
        'fail',
        'kill-leader',
        'kill-nats',
        'kill-service',
        'pause-leader',
        'pause-postgres',
      ].sort(),
    );
  });

  it('refuses a run too short for one window, and fits one into the shortest it accepts', () => {
    const min = minimumDurationMs(full);
    expect(() => planFaults({ seed: 1, durationMs: 3_000, topology: full })).toThrow(
      /no room for two overlapping faults/,
    );
    for (let seed = 1; seed <= 200; seed++)
      expect(planFaults({ seed, durationMs: min, topology: full }).length).toBeGreaterThanOrEqual(
        2,
      );
  });
});

describe('peakOverlap', () => {
  it('counts intervals active at one instant; touching ones do not overlap', () => {
    expect(peakOverlap([])).toBe(0);
    expect(
      peakOverlap([
        { start: 0, end: 10 },
        { start: 10, end: 20 },
      ]),
    ).toBe(1);
    expect(
      peakOverlap([
        { start: 0, end: 10 },
        { start: 5, end: 20 },
        { start: 9, end: 11 },
        { start: 30, end: 40 },
      ]),
    ).toBe(3);
  });
});
