/**
 * Hunts the unbounded per-key memory of the order leader (issue 9, hole 7): a version map that
 * keeps every order ever seen, and an eviction that forgets recently used keys first.
 */
import { describe, expect, it } from 'vitest';
import { VersionCache } from './version-cache.ts';

describe('VersionCache (hole 7)', () => {
  it('never holds more keys than its capacity, however many orders pass through', () => {
    const cache = new VersionCache(100);
    for (let i = 0; i < 10_000; i++) cache.set(`order:${i}`, { fence: 1, seq: 1 });
    expect(cache.size).toBe(100);
    expect(cache.get('order:0')).toBeUndefined();
    expect(cache.get('order:9999')).toEqual({ fence: 1, seq: 1 });
  });

  it('forgets the least recently used key first', () => {
    const cache = new VersionCache(2);
    cache.set('a', { fence: 1, seq: 1 });
    cache.set('b', { fence: 1, seq: 1 });
    cache.get('a');
    cache.set('c', { fence: 1, seq: 1 });
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toEqual({ fence: 1, seq: 1 });
  });

  it('remembers only a higher version', () => {
    const cache = new VersionCache();
    cache.remember('a', { fence: 2, seq: 3 });
    cache.remember('a', { fence: 2, seq: 1 });
    expect(cache.get('a')).toEqual({ fence: 2, seq: 3 });
    cache.remember('a', { fence: 3, seq: 1 });
    expect(cache.get('a')).toEqual({ fence: 3, seq: 1 });
  });
});
