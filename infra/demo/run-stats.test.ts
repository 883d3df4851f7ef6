/**
 * Hunts wrong demo numbers: percentiles off by one rank, an in-flight count that goes negative
 * when an order is refused before it was accepted, and a progress line missing its counts.
 */
import { describe, expect, it } from 'vitest';
import { formatMs, percentile, ProgressLine, RunStats } from './run-stats.ts';

describe('percentile', () => {
  it('takes the nearest rank', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 99)).toBe(99);
    expect(percentile(samples, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('formats milliseconds and seconds', () => {
    expect(formatMs(312.4)).toBe('312 ms');
    expect(formatMs(1840)).toBe('1.84 s');
    expect(formatMs(Number.NaN)).toBe('n/a');
  });
});

describe('RunStats', () => {
  it('counts in-flight orders from acceptance to outcome, never below zero', () => {
    const stats = new RunStats(5);
    stats.gaveUp(false); // refused before acceptance
    stats.accepted();
    stats.accepted();
    stats.accepted();
    stats.finished('COMPLETED', undefined, 10);
    stats.finished('CANCELLED', 'OUT_OF_STOCK', 20);
    expect(stats.inFlight).toBe(1);
    stats.gaveUp(true);
    expect(stats.inFlight).toBe(0);
    expect(stats.progress()).toBe(
      'placed 3/5 · completed 1 · cancelled 1 · in flight 0 · gave up 2',
    );
    expect([...stats.cancelledBy]).toEqual([['OUT_OF_STOCK', 1]]);
  });
});

describe('ProgressLine', () => {
  it('rewrites one line on a TTY and prints whole lines on a pipe', () => {
    const tty: string[] = [];
    const pipe: string[] = [];
    let n = 0;
    const onTty = new ProgressLine(
      { isTTY: true, write: (t: string) => tty.push(t) },
      () => `n=${n}`,
    );
    const onPipe = new ProgressLine(
      { isTTY: false, write: (t: string) => pipe.push(t) },
      () => `n=${n}`,
    );
    onTty.draw();
    onTty.draw(); // unchanged: not redrawn
    n = 1;
    onTty.draw();
    onPipe.draw();
    onTty.stop();
    onPipe.stop();
    expect(tty).toEqual(['\r\x1b[2Kn=0', '\r\x1b[2Kn=1', '\r\x1b[2Kn=1\n']);
    expect(pipe).toEqual(['n=1\n', 'n=1\n']);
  });
});
