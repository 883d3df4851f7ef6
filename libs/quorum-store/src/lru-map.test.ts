import { describe, expect, it } from 'vitest';
import { LruMap } from './lru-map.ts';

describe('LruMap', () => {
  it('forgets the least recently used key past its capacity', () => {
    const m = new LruMap<number>(2);
    m.set('a', 1);
    m.set('b', 2);
    expect(m.get('a')).toBe(1); // a is now the most recent
    m.set('c', 3);
    expect([m.peek('a'), m.peek('b'), m.peek('c')]).toEqual([1, undefined, 3]);
    expect(m.size).toBe(2);
  });

  it('does not count a peek as a use', () => {
    const m = new LruMap<number>(2);
    m.set('a', 1);
    m.set('b', 2);
    m.peek('a');
    m.set('c', 3);
    expect(m.peek('a')).toBeUndefined();
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new LruMap(0)).toThrow(RangeError);
    expect(() => new LruMap(1.5)).toThrow(RangeError);
  });
});
