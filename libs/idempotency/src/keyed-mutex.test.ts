/**
 * Hunts lock bugs: two holders of overlapping key sets running at once, a deadlock when two
 * callers name the same keys in opposite orders, and entries leaking after release.
 */
import { describe, expect, it } from 'vitest';
import { KeyedMutex } from './keyed-mutex.ts';

describe('KeyedMutex', () => {
  it('lets only one holder of overlapping key sets run at a time', async () => {
    const mutex = new KeyedMutex();
    const inside = new Set<string>();
    const overlaps: string[] = [];
    const work = async (name: string, keys: string[]): Promise<void> => {
      const release = await mutex.acquire(keys);
      for (const k of keys) {
        if (inside.has(k)) overlaps.push(`${name}:${k}`);
        inside.add(k);
      }
      await Promise.resolve();
      await Promise.resolve();
      for (const k of keys) inside.delete(k);
      release();
    };
    await Promise.all([
      work('a', ['x', 'y']),
      work('b', ['y', 'x']),
      work('c', ['y', 'z']),
      work('d', ['z', 'x']),
    ]);
    expect(overlaps).toEqual([]);
    expect(mutex.size).toBe(0);
  });

  it('runs disjoint key sets concurrently', async () => {
    const mutex = new KeyedMutex();
    const first = await mutex.acquire(['a']);
    const second = await mutex.acquire(['b']);
    first();
    second();
    expect(mutex.size).toBe(0);
  });

  it('serves waiters in arrival order and tolerates a double release', async () => {
    const mutex = new KeyedMutex();
    const order: number[] = [];
    const release = await mutex.acquire(['k']);
    const waiters = [1, 2, 3].map(async (n) => {
      const r = await mutex.acquire(['k']);
      order.push(n);
      r();
      r();
    });
    release();
    release();
    await Promise.all(waiters);
    expect(order).toEqual([1, 2, 3]);
    expect(mutex.size).toBe(0);
  });
});
