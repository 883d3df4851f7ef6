/**
 * Reproducible randomness for chaos runs: every scenario prints its seed, and `--seed <n>`
 * replays the same choices (which orders, which customers and skus, which replica to call).
 * Timing still varies between runs; the seed fixes what the scenario *asks for*.
 */
import { randomInt } from 'node:crypto';

export interface Random {
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max] (inclusive). */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  /** True with probability p. */
  chance(p: number): boolean;
}

/** A fresh seed when none is given. */
export function newSeed(): number {
  return randomInt(1, 2 ** 31 - 1);
}

/** Parses `--seed` text; undefined (not given) yields a fresh seed. */
export function parseSeed(text: string | undefined): number {
  if (text === undefined) return newSeed();
  const seed = Number(text);
  if (!Number.isSafeInteger(seed) || seed <= 0) {
    throw new TypeError(`--seed must be a positive integer, got ${text}`);
  }
  return seed;
}

/** mulberry32: small, fast, and good enough to choose test inputs. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    seed,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => {
      if (items.length === 0) throw new RangeError('pick from an empty list');
      return items[Math.floor(next() * items.length)]!;
    },
    chance: (p) => next() < p,
  };
}
