import { describe, expect, it } from 'vitest';
import type { AntiEntropyReport } from './quorum-store.ts';
import { startAntiEntropyLoop } from './anti-entropy-loop.ts';

/** A manual timer: `due()` runs what is scheduled, as the interval elapsing would. */
function manualTimer() {
  let pending: (() => void) | undefined;
  const delays: number[] = [];
  return {
    delays,
    schedule: (run: () => void, ms: number) => {
      pending = run;
      delays.push(ms);
      return { cancel: () => (pending = undefined) };
    },
    due(): boolean {
      const run = pending;
      pending = undefined;
      run?.();
      return run !== undefined;
    },
  };
}

const report: AntiEntropyReport = {
  domain: 'order',
  compared: 5,
  divergent: 2,
  repaired: 2,
  refused: 0,
  unreachable: [],
};
const settle = () => new Promise((r) => setImmediate(r));

describe('startAntiEntropyLoop', () => {
  it('runs a pass per interval while active, never overlapping, and reports each', async () => {
    const timer = manualTimer();
    let active = true;
    let passes = 0;
    let release: (() => void) | undefined;
    const seen: number[] = [];
    const loop = startAntiEntropyLoop({
      everyMs: 60_000,
      active: () => active,
      pass: async () => {
        passes += 1;
        await new Promise<void>((r) => (release = r));
        return [report];
      },
      onPass: (r) => seen.push(r[0]!.divergent),
      schedule: timer.schedule,
    });
    expect(timer.due()).toBe(true);
    await settle();
    expect(passes).toBe(1);
    // While the pass runs, nothing else is scheduled.
    expect(timer.due()).toBe(false);
    release!();
    await settle();
    expect(seen).toEqual([2]);
    active = false;
    expect(timer.due()).toBe(true);
    await settle();
    expect(passes).toBe(1);
    expect(timer.delays).toEqual([60_000, 60_000, 60_000]);
    await loop.stop();
    expect(timer.due()).toBe(false);
  });

  it('keeps going after a failed pass and reports the error', async () => {
    const timer = manualTimer();
    const errors: unknown[] = [];
    let passes = 0;
    const loop = startAntiEntropyLoop({
      everyMs: 5,
      active: () => true,
      pass: async () => {
        passes += 1;
        if (passes === 1) throw new Error('replica down');
        return [];
      },
      onError: (e) => errors.push(e),
      schedule: timer.schedule,
    });
    timer.due();
    await settle();
    timer.due();
    await settle();
    expect(passes).toBe(2);
    expect(errors.map(String)).toEqual(['Error: replica down']);
    await loop.stop();
  });

  it('is off with an interval of 0 and refuses a negative one', async () => {
    const timer = manualTimer();
    const loop = startAntiEntropyLoop({
      everyMs: 0,
      active: () => true,
      pass: async () => [],
      schedule: timer.schedule,
    });
    expect(timer.due()).toBe(false);
    await loop.stop();
    expect(() =>
      startAntiEntropyLoop({ everyMs: -1, active: () => true, pass: async () => [] }),
    ).toThrow(/>= 0/);
  });
});
