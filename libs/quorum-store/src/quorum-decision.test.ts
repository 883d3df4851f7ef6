/**
 * Hunts bugs in the pure quorum rules: a write reported successful without W acks, a failure
 * reported clean when a replica may have applied it, a stale version winning a read, and quorum
 * sizes that do not intersect being accepted.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ReadOutcome, VersionedRecord, WriteOutcome } from './quorum-decision.ts';
import {
  checkQuorumSizes,
  decideRead,
  decideWrite,
  fenceQuorum,
  resolveRead,
} from './quorum-decision.ts';
import { compareVersions, nextVersion } from './version.ts';

const version = fc.record({ fence: fc.nat(50), seq: fc.nat(50) });

const writeOutcome: fc.Arbitrary<WriteOutcome> = fc.oneof(
  fc.record({ kind: fc.constant('ack' as const), replica: fc.constant('r') }),
  fc.record({
    kind: fc.constant('fenced' as const),
    replica: fc.constant('r'),
    installed: fc.nat(100),
  }),
  fc.record({
    kind: fc.constant('failed' as const),
    replica: fc.constant('r'),
    reason: fc.constant('x'),
    applied: fc.constantFrom('no' as const, 'unknown' as const),
  }),
);

describe('version order', () => {
  it('is a total order in which the fence dominates the sequence', () => {
    fc.assert(
      fc.property(version, version, (a, b) => {
        const c = compareVersions(a, b);
        // `+ 0`: for equal versions -Math.sign(0) is -0, which toBe (Object.is) tells from 0.
        expect(Math.sign(c)).toBe(-Math.sign(compareVersions(b, a)) + 0);
        if (a.fence !== b.fence) expect(c < 0).toBe(a.fence < b.fence);
        if (c === 0) expect(a).toEqual(b);
      }),
    );
  });

  it('gives each next write a strictly newer version, and refuses a stale token', () => {
    fc.assert(
      fc.property(fc.option(version, { nil: undefined }), fc.nat(60), (current, token) => {
        const next = nextVersion(current, token);
        if (current !== undefined && current.fence > token) {
          expect(next).toBeUndefined();
        } else {
          expect(next).toBeDefined();
          if (current !== undefined) expect(compareVersions(next!, current)).toBeGreaterThan(0);
          expect(next!.fence).toBe(token);
        }
      }),
    );
  });
});

describe('write decision', () => {
  it('reports success only with at least W acks and no fencing rejection', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        fc.array(writeOutcome, { maxLength: 7 }),
        (w, outcomes) => {
          const total = Math.max(outcomes.length, w);
          const d = decideWrite(outcomes, total, w);
          const acks = outcomes.filter((o) => o.kind === 'ack').length;
          if (d.kind === 'success') {
            expect(acks).toBeGreaterThanOrEqual(w);
            expect(outcomes.some((o) => o.kind === 'fenced')).toBe(false);
          }
          if (outcomes.some((o) => o.kind === 'fenced')) expect(d.kind).toBe('fenced');
        },
      ),
    );
  });

  it('never calls a failure clean when any replica acked, may have applied, or is still writing', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.array(writeOutcome, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 0, max: 3 }),
        (w, outcomes, stillWriting) => {
          const d = decideWrite(outcomes, outcomes.length + stillWriting, w);
          const mayHaveApplied =
            stillWriting > 0 ||
            outcomes.some(
              (o) => o.kind === 'ack' || (o.kind === 'failed' && o.applied === 'unknown'),
            );
          if (d.kind === 'unavailable') expect(mayHaveApplied).toBe(false);
          if (d.kind === 'indeterminate') expect(mayHaveApplied).toBe(true);
        },
      ),
    );
  });

  it('waits while W is still reachable and decides once it is not', () => {
    const ack: WriteOutcome = { kind: 'ack', replica: 'a' };
    const timeout: WriteOutcome = { kind: 'failed', replica: 'b', reason: 't', applied: 'unknown' };
    expect(decideWrite([ack], 3, 2).kind).toBe('pending');
    expect(decideWrite([ack, timeout], 3, 2).kind).toBe('pending');
    expect(decideWrite([ack, timeout, timeout], 3, 2).kind).toBe('indeterminate');
    expect(decideWrite([ack, ack], 3, 2).kind).toBe('success');
  });
});

describe('read decision', () => {
  const rec = (key: string, fence: number, seq: number): VersionedRecord => ({
    key,
    version: { fence, seq },
    tag: null,
    value: { fence, seq },
  });

  it('returns the highest version any responder holds and marks every older holder stale', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(version, { nil: undefined }), { minLength: 1, maxLength: 5 }),
        (versions) => {
          const responses: ReadOutcome[] = versions.map((v, i) => ({
            kind: 'ok',
            replica: `r${i}`,
            records: new Map(v === undefined ? [] : [['k', rec('k', v.fence, v.seq)]]),
          }));
          const { winners, stale } = resolveRead(responses);
          const present = versions.filter((v) => v !== undefined);
          if (present.length === 0) {
            expect(winners.size).toBe(0);
            return;
          }
          const best = present.reduce((a, b) => (compareVersions(a, b) >= 0 ? a : b));
          expect(winners.get('k')?.version).toEqual(best);
          versions.forEach((v, i) => {
            const isStale = v === undefined || compareVersions(v, best) < 0;
            expect(stale.has(`r${i}`)).toBe(isStale);
          });
        },
      ),
    );
  });

  it('needs R answers and gives up when R can no longer be reached', () => {
    const ok: ReadOutcome = { kind: 'ok', replica: 'a', records: new Map() };
    const bad: ReadOutcome = { kind: 'failed', replica: 'b', reason: 'down' };
    expect(decideRead([ok], 3, 2).kind).toBe('pending');
    expect(decideRead([ok, bad], 3, 2).kind).toBe('pending');
    expect(decideRead([ok, bad, bad], 3, 2).kind).toBe('unavailable');
    expect(decideRead([ok, ok], 3, 2).kind).toBe('success');
  });
});

describe('quorum sizes', () => {
  it('accept only intersecting quorums unless eventual is named', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        (n, w, r) => {
          const inRange = w <= n && r <= n;
          expect(checkQuorumSizes(n, w, r, 'quorum') === undefined).toBe(inRange && r + w > n);
          expect(checkQuorumSizes(n, w, r, 'eventual') === undefined).toBe(inRange);
        },
      ),
    );
  });

  it('makes any W acks meet a fenced replica: (N - W + 1) + W > N', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), (n, w) => {
        fc.pre(w <= n);
        expect(fenceQuorum(n, w) + w).toBeGreaterThan(n);
      }),
    );
  });
});
