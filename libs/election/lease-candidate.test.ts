// Hunts: two nodes that both believe they lead (clock drift, slow renewals, pauses, stale
// reads), a fencing token that goes backwards or changes on renewal, a lost lease that goes
// unnoticed, and an election that never converges after faults stop.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LeaseCandidate, leaseTiming, toleratedDrift, type LeaseTiming } from '@seamline/election';
import { seededRandom } from '@seamline/retry-budget';
import { simulate, type SimNode } from './lease-simulation.ts';

const seed = Number(process.env['FC_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
console.info(`[lease-candidate.test] fast-check seed=${seed} (rerun with FC_SEED=${seed})`);

const timing = leaseTiming({ leaseMs: 300, renewEveryMs: 100, safetyMarginMs: 60 });

function scenarioArb(t: LeaseTiming, maxDrift: number) {
  const node: fc.Arbitrary<SimNode> = fc.record(
    {
      offset: fc.integer({ min: -1_000_000, max: 1_000_000 }),
      rate: fc.double({ min: 1 - maxDrift, max: 1 + maxDrift, noNaN: true }),
      pauses: fc.array(
        fc
          .tuple(fc.integer({ min: 0, max: 3_000 }), fc.integer({ min: 1, max: 1_200 }))
          .map(([from, len]) => ({ from, to: from + len })),
        { maxLength: 3 },
      ),
      crashAt: fc.integer({ min: 0, max: 3_000 }),
    },
    { requiredKeys: ['offset', 'rate', 'pauses'] },
  );
  return fc
    .record({
      nodes: fc.array(node, { minLength: 2, maxLength: 4 }),
      prngSeed: fc.integer(),
      writeDelayMs: fc.integer({ min: 0, max: 40 }),
      watchDelayMs: fc.integer({ min: 0, max: 80 }),
      unknownOutcomeRate: fc.constantFrom(0, 0.1, 0.3),
    })
    .map((sc) => ({
      ...sc,
      timing: t,
      random: seededRandom(sc.prngSeed),
      durationMs: 6_000,
      unknownOutcomeUntilMs: 3_000,
    }));
}

describe('LeaseCandidate under simulation', () => {
  it('never lets two nodes believe they lead at once under drift within the margin', () => {
    const drift = toleratedDrift(timing) * 0.95;
    fc.assert(
      fc.property(scenarioArb(timing, drift), (sc) => {
        expect(simulate(sc).overlaps).toEqual([]);
      }),
      { seed, numRuns: 200 },
    );
  });

  it('hands out strictly increasing tokens, each the revision of an acquiring write', () => {
    fc.assert(
      fc.property(scenarioArb(timing, toleratedDrift(timing) * 0.95), (sc) => {
        const r = simulate(sc);
        for (let k = 1; k < r.electedTokens.length; k++) {
          expect(r.electedTokens[k]).toBeGreaterThan(r.electedTokens[k - 1] as number);
        }
        for (const token of r.electedTokens) expect(r.acquisitionRevisions).toContain(token);
      }),
      { seed, numRuns: 200 },
    );
  });

  it('converges to exactly one leader once faults stop and a node is alive', () => {
    fc.assert(
      fc.property(scenarioArb(timing, toleratedDrift(timing) * 0.95), (sc) => {
        const r = simulate(sc);
        const alive = sc.nodes.some((n) => (n.crashAt ?? Infinity) > sc.durationMs);
        if (!alive || r.lastFaultAt > sc.durationMs - 4 * timing.leaseMs) return;
        expect(r.leadersAtEnd).toHaveLength(1);
      }),
      { seed, numRuns: 200 },
    );
  });

  it('hole 9: stays safe and converges when watches report revisions the leader never held', () => {
    const diverged = scenarioArb(timing, toleratedDrift(timing) * 0.95).map((sc) => ({
      ...sc,
      divergedWatchRate: 0.3,
      divergedWatchUntilMs: 3_000,
    }));
    fc.assert(
      fc.property(diverged, (sc) => {
        const r = simulate(sc);
        expect(r.overlaps).toEqual([]);
        const alive = sc.nodes.some((n) => (n.crashAt ?? Infinity) > sc.durationMs);
        if (!alive || r.lastFaultAt > sc.durationMs - 4 * timing.leaseMs) return;
        expect(r.leadersAtEnd).toHaveLength(1);
      }),
      { seed, numRuns: 200 },
    );
  });

  it('generates scenarios that really fail over (the properties are not vacuous)', () => {
    const runs = fc
      .sample(scenarioArb(timing, toleratedDrift(timing) * 0.95), { seed, numRuns: 200 })
      .map((sc) => simulate(sc).electedTokens.length);
    expect(runs.filter((n) => n >= 2).length).toBeGreaterThan(40);
    expect(runs.filter((n) => n >= 4).length).toBeGreaterThan(2);
  });

  it('overlaps without the margin in a drift scenario the margin makes safe (the check can fail)', () => {
    // The holder's clock runs 10% slow, so its belief lasts longer in real time; the
    // observer's runs 10% fast, so its lease ends sooner. The holder freezes right after
    // acquiring; no network delay.
    const nodes: SimNode[] = [
      { offset: 0, rate: 0.9, pauses: [{ from: 50, to: 2_000 }] },
      { offset: 5_000, rate: 1.1, pauses: [] },
    ];
    const run = (t: LeaseTiming) =>
      simulate({
        timing: t,
        nodes,
        random: seededRandom(1),
        writeDelayMs: 0,
        watchDelayMs: 0,
        durationMs: 3_000,
      });
    expect(run({ ...timing, safetyMarginMs: 0 }).overlaps.length).toBeGreaterThan(0);
    const safe = run(timing);
    expect(safe.overlaps).toEqual([]);
    expect(safe.electedTokens).toHaveLength(2); // the observer did take over
  });
});

describe('LeaseCandidate', () => {
  const rec = (holder: string, term: number, token?: number) =>
    token === undefined ? { holder, term, leaseMs: 300 } : { holder, term, token, leaseMs: 300 };

  it('creates a vacant key, then keeps its token constant across renewals', () => {
    const c = new LeaseCandidate('a', timing);
    expect(c.decide(0)).toEqual({ kind: 'create', record: rec('a', 1) });
    expect(c.writeSucceeded(7, 5)).toEqual({ kind: 'elected', token: 7, term: 1 });
    expect(c.decide(50)).toEqual({ kind: 'wait', until: 100 });
    expect(c.decide(100)).toEqual({ kind: 'update', expectedRevision: 7, record: rec('a', 1, 7) });
    expect(c.writeSucceeded(9, 110)).toEqual({ kind: 'renewed' });
    expect(c.token(120)).toBe(7);
    expect(c.decide(150)).toEqual({ kind: 'wait', until: 200 });
  });

  it('believes it leads only until send time + lease - margin of its last renewal', () => {
    const c = new LeaseCandidate('a', timing);
    c.decide(0);
    c.writeSucceeded(1, 30); // acknowledged late: the send time counts, not the ack
    expect(c.isLeader(239)).toBe(true);
    expect(c.isLeader(240)).toBe(false);
    expect(c.checkExpiry(240)).toBe('expired');
  });

  it('takes over an occupied key only after it stays unchanged for leaseMs on its own clock', () => {
    const c = new LeaseCandidate('b', timing);
    c.observe(4, rec('a', 3, 2), 1_000);
    expect(c.decide(1_100)).toEqual({ kind: 'wait', until: 1_300 });
    c.observe(5, rec('a', 3, 2), 1_200); // the holder renewed: the clock restarts
    expect(c.decide(1_300)).toEqual({ kind: 'wait', until: 1_500 });
    expect(c.decide(1_500)).toEqual({ kind: 'update', expectedRevision: 5, record: rec('b', 4) });
    expect(c.writeSucceeded(6, 1_510)).toEqual({ kind: 'elected', token: 6, term: 4 });
  });

  it('learns it lost from a newer entry by someone else, but not from its own echo', () => {
    const c = new LeaseCandidate('a', timing);
    c.decide(0);
    c.writeSucceeded(3, 1);
    c.decide(100);
    expect(c.observe(4, rec('a', 1, 3), 105)).toBeNull(); // echo of the in-flight renewal
    expect(c.writeSucceeded(4, 106)).toEqual({ kind: 'renewed' });
    expect(c.observe(5, rec('b', 2), 150)).toBe('superseded');
    expect(c.isLeader(151)).toBe(false);
  });

  it('steps down at once when a renewal is refused', () => {
    const c = new LeaseCandidate('a', timing);
    c.decide(0);
    c.writeSucceeded(3, 1);
    c.decide(100);
    expect(c.writeFailed(101, true)).toBe('superseded');
    expect(c.isLeader(102)).toBe(false);
  });

  it('keeps a lease whose renewal outcome is unknown until its belief ends, retrying the renewal', () => {
    const c = new LeaseCandidate('a', timing);
    c.decide(0);
    c.writeSucceeded(3, 0);
    const renew = c.decide(timing.renewEveryMs);
    expect(renew.kind).toBe('update');
    expect(c.writeFailed(timing.renewEveryMs + 1, false)).toBeNull();
    expect(c.isLeader(timing.renewEveryMs + 2)).toBe(true);
    // Retried shortly, not at once, and expecting the revision it last knew.
    expect(c.decide(timing.renewEveryMs + 2).kind).toBe('wait');
    const retry = c.decide(timing.renewEveryMs + 1 + timing.renewEveryMs / 4);
    expect(retry).toMatchObject({ kind: 'update', expectedRevision: 3 });
    // That failed write had applied after all: its echo moves the expected revision forward.
    expect(c.observe(4, rec('a', 1, 3), timing.renewEveryMs + 60)).toBeNull();
    c.writeFailed(timing.renewEveryMs + 61, false);
    const next = c.decide(timing.renewEveryMs + 62 + timing.renewEveryMs / 4);
    expect(next).toMatchObject({ kind: 'update', expectedRevision: 4 });
    c.writeFailed(timing.renewEveryMs + 63 + timing.renewEveryMs / 4, false);
    // Nothing acknowledged since the first write: the belief ends on time regardless.
    const end = timing.leaseMs - timing.safetyMarginMs;
    expect(c.isLeader(end - 1)).toBe(true);
    expect(c.checkExpiry(end)).toBe('expired');
    expect(c.isLeader(end)).toBe(false);
  });

  it('two candidates racing one stale revision: exactly one acquisition applies', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.integer({ min: 0, max: 50 }), (bFirst, skew) => {
        // The register: only a write naming the current revision applies.
        let current = 10;
        const apply = (expected: number) => (expected === current ? ++current : null);
        const a = new LeaseCandidate('a', timing);
        const b = new LeaseCandidate('b', timing);
        a.observe(10, rec('z', 1, 9), 0);
        b.observe(10, rec('z', 1, 9), skew);
        const actA = a.decide(400);
        const actB = b.decide(400 + skew);
        if (actA.kind !== 'update' || actB.kind !== 'update') throw new Error('expected updates');
        const order: [LeaseCandidate, number][] = bFirst
          ? [
              [b, actB.expectedRevision],
              [a, actA.expectedRevision],
            ]
          : [
              [a, actA.expectedRevision],
              [b, actB.expectedRevision],
            ];
        for (const [c, expected] of order) {
          const rev = apply(expected);
          if (rev === null) c.writeFailed(500, true);
          else c.writeSucceeded(rev, 401 + skew);
        }
        expect([a.isLeader(402 + skew), b.isLeader(402 + skew)].filter(Boolean)).toHaveLength(1);
      }),
      { seed },
    );
  });

  it('never resurrects a belief when a renewal lands after the lease expired locally', () => {
    const c = new LeaseCandidate('a', timing);
    c.decide(0);
    c.writeSucceeded(1, 0);
    c.decide(100);
    expect(c.checkExpiry(300)).toBe('expired');
    expect(c.writeSucceeded(2, 301)).toEqual({ kind: 'none' });
    expect(c.isLeader(302)).toBe(false);
  });

  it('rejects timings that cannot renew before the belief ends, naming the field', () => {
    expect(() => leaseTiming({ leaseMs: 1_000, renewEveryMs: 900, safetyMarginMs: 200 })).toThrow(
      /renewEveryMs/,
    );
    expect(() => leaseTiming({ safetyMarginMs: 3_000 })).toThrow(/safetyMarginMs/);
    expect(() => leaseTiming({ leaseMs: 0 })).toThrow(/leaseMs/);
  });
});
