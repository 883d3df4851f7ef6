/**
 * Hunts bugs in the peer bench's arithmetic and table that would misstate the comparison: a
 * percentile off by one sample, throughput or CPU per saga divided by the wrong count, a ratio
 * taken the wrong way round or printed when one side is missing, and the wrong Restate
 * configuration reported as the better.
 */
import { describe, expect, it } from 'vitest';
import type { LoopRun } from './closed-loop.ts';
import {
  betterRun,
  latencyPercentiles,
  levelFigures,
  ratio,
  renderPeerTable,
} from './peer-report.ts';
import type { LevelFigures, SystemRun } from './peer-report.ts';

const oneToHundred = Array.from({ length: 100 }, (_, i) => 100 - i);

describe('latencyPercentiles', () => {
  it('takes the nearest-rank sample whatever the input order', () => {
    expect(latencyPercentiles(oneToHundred)).toEqual({ p50: 50, p90: 90, p99: 99 });
  });

  it('gives the only sample for every percentile, and NaN with no samples', () => {
    expect(latencyPercentiles([7])).toEqual({ p50: 7, p90: 7, p99: 7 });
    expect(latencyPercentiles([]).p99).toBeNaN();
  });

  it('does not reorder the caller’s samples', () => {
    const samples = [3, 1, 2];
    latencyPercentiles(samples);
    expect(samples).toEqual([3, 1, 2]);
  });
});

const loop = (over: Partial<LoopRun> = {}): LoopRun => ({
  clients: 10,
  seconds: 4,
  latenciesMs: oneToHundred,
  outcomes: { COMPLETED: 90, 'CANCELLED/PAYMENT_DECLINED': 10 },
  errors: 0,
  firstErrors: [],
  ...over,
});

describe('levelFigures', () => {
  it('divides sagas by the level’s wall time and each process’s CPU by the sagas finished', () => {
    const f = levelFigures(loop(), { 'order-1': 500, 'pg-1': 300 });
    expect(f.sagas).toBe(100);
    expect(f.sagasPerSecond).toBe(25);
    expect(f.cpuMsPerSaga).toEqual({ 'order-1': 5, 'pg-1': 3 });
    expect(f.cpuMsPerSagaTotal).toBe(8);
    expect(f.cancelledShare).toBeCloseTo(0.1);
    expect(f.p90).toBe(90);
  });

  it('does not count failed orders as sagas (errors are reported apart)', () => {
    const f = levelFigures(loop({ errors: 3 }), { x: 100 });
    expect(f.sagas).toBe(100);
    expect(f.errors).toBe(3);
    expect(f.cpuMsPerSaga.x).toBe(1);
  });

  it('reports no CPU per saga rather than Infinity when nothing finished', () => {
    const f = levelFigures(loop({ latenciesMs: [], outcomes: {} }), { x: 100 });
    expect(f.cpuMsPerSagaTotal).toBeNaN();
    expect(f.sagasPerSecond).toBe(0);
  });
});

describe('ratio', () => {
  it('is Seamline over Restate, with two decimals', () => {
    expect(ratio(62, 376)).toBe('0.16x');
    expect(ratio(32, 5)).toBe('6.40x');
  });

  it('is a dash when a side is missing or zero', () => {
    expect(ratio(1, 0)).toBe('-');
    expect(ratio(Number.NaN, 2)).toBe('-');
  });
});

const level = (clients: number, sagasPerSecond: number, over: Partial<LevelFigures> = {}) => ({
  ...levelFigures(loop({ clients, seconds: 100 / sagasPerSecond }), { a: 100, b: 300 }),
  ...over,
});

describe('betterRun', () => {
  it('picks the configuration with the higher throughput at the highest level', () => {
    const defaults: SystemRun = { label: 'defaults', levels: [level(1, 90), level(100, 300)] };
    const two: SystemRun = { label: '2 partitions', levels: [level(1, 50), level(100, 380)] };
    expect(betterRun([defaults, two]).label).toBe('2 partitions');
    expect(betterRun([two, defaults]).label).toBe('2 partitions');
  });

  it('breaks a tie at the top level by the sum over all levels', () => {
    const a: SystemRun = { label: 'a', levels: [level(1, 40), level(10, 100)] };
    const b: SystemRun = { label: 'b', levels: [level(1, 60), level(10, 100)] };
    expect(betterRun([a, b]).label).toBe('b');
  });
});

describe('renderPeerTable', () => {
  const seamline: SystemRun = { label: 'Seamline', levels: [level(1, 40), level(10, 60)] };
  const restate: SystemRun = { label: 'Restate (2 partitions)', levels: [level(1, 50)] };
  const table = renderPeerTable(seamline, restate);
  const lines = table.trim().split('\n');

  it('has a row per system and level, and a ratio row where both ran', () => {
    expect(lines[0]).toMatch(/^\| clients \| system \| sagas\/s \| p50 ms \| p90 ms \| p99 ms/);
    expect(lines.filter((l) => l.includes('Seamline/Restate'))).toHaveLength(1);
    expect(lines).toHaveLength(2 + 3 + 1);
    expect(lines.every((l) => l.split('|').length === lines[0]!.split('|').length)).toBe(true);
  });

  it('puts throughput, the ratio and CPU per process in their columns', () => {
    const [seam, rest, ratios] = lines.slice(2).map((l) => l.split('|').map((c) => c.trim()));
    expect(seam!.slice(1, 4)).toEqual(['1', 'Seamline', '40.0']);
    expect(rest!.slice(1, 4)).toEqual(['1', 'Restate (2 partitions)', '50.0']);
    expect(ratios![3]).toBe('0.80x');
    expect(seam![9]).toBe('4.0');
    expect(seam![10]).toBe('a 1.0 · b 3.0');
    expect(seam![7]).toBe('10.0 %');
  });

  it('shows a level only one side ran without a ratio', () => {
    expect(lines.at(-1)).toMatch(/^\| 10 \| Seamline \| 60\.0 \|/);
  });
});
