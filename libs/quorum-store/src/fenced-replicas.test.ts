/**
 * Hunts a fenced read that skips installing its fence on a replica because of a stale memory:
 * an ack of an older token (a late answer of a previous term) counted for the newer one.
 */
import { describe, expect, it } from 'vitest';
import { FencedReplicas } from './fenced-replicas.ts';

describe('FencedReplicas', () => {
  it('knows a replica holds a fence only from an ack of that very token', () => {
    const fenced = new FencedReplicas();
    fenced.acked('order', 5, 'pg-1');
    fenced.acked('order', 6, 'pg-2');
    fenced.acked('order', 5, 'pg-3'); // a late ack of the previous term
    expect(fenced.holds('order', 6, 'pg-2')).toBe(true);
    expect(fenced.holds('order', 6, 'pg-1')).toBe(false);
    expect(fenced.holds('order', 6, 'pg-3')).toBe(false);
    expect(fenced.holds('order', 5, 'pg-1')).toBe(false);
    expect(fenced.holds('payment', 6, 'pg-2')).toBe(false);
  });
});
