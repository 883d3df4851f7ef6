/** Hunts ejection bugs: ejecting below the quorum floor, never probing again, unbounded backoff. */
import { describe, expect, it } from 'vitest';
import { ReplicaHealth } from './replica-health.ts';

function setup(minHealthy = 2) {
  let now = 0;
  const changes: string[] = [];
  const h = new ReplicaHealth(
    ['a', 'b', 'c'],
    { failuresToEject: 2, baseBackoffMs: 100, maxBackoffMs: 400 },
    minHealthy,
    () => now,
    (name, ejected) => changes.push(`${name}:${ejected}`),
  );
  return { h, changes, advance: (ms: number) => (now += ms) };
}

describe('replica ejection', () => {
  it('ejects after consecutive failures and probes again after the backoff', () => {
    const { h, advance, changes } = setup();
    h.recordFailure('a');
    expect(h.eligible()).toContain('a');
    h.recordFailure('a');
    expect(h.eligible()).toEqual(['b', 'c']);
    advance(100);
    expect(h.eligible()).toContain('a');
    h.recordSuccess('a');
    expect(changes).toEqual(['a:true', 'a:false']);
  });

  it('doubles the backoff on each failed probe, up to the cap', () => {
    const { h, advance } = setup();
    h.recordFailure('a');
    h.recordFailure('a');
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      let waited = 0;
      while (!h.eligible().includes('a')) {
        advance(50);
        waited += 50;
      }
      waits.push(waited);
      h.recordFailure('a');
    }
    expect(waits).toEqual([100, 200, 400, 400, 400]);
  });

  it('never ejects below the quorum floor', () => {
    const { h } = setup(2);
    for (let i = 0; i < 3; i++) h.recordFailure('a');
    for (let i = 0; i < 3; i++) h.recordFailure('b');
    expect(h.eligible()).toEqual(['b', 'c']);
    expect(h.isEjected('b')).toBe(false);
  });
});
