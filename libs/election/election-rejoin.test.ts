import { describe, expect, it } from 'vitest';
import { ElectionRejoin } from './election-rejoin.ts';

/** An election whose start() fails the first `failures` times, recording every call. */
function election(failures: number) {
  const calls: string[] = [];
  let left = failures;
  let inFlight = 0;
  let overlapped = false;
  const step = async (name: string) => {
    calls.push(name);
    inFlight += 1;
    if (inFlight > 1) overlapped = true;
    await new Promise((r) => setImmediate(r));
    inFlight -= 1;
  };
  return {
    calls,
    overlapped: () => overlapped,
    stop: () => step('stop'),
    start: async () => {
      await step('start');
      if (left-- > 0) throw new Error('TimeoutError: timeout');
    },
  };
}

describe('ElectionRejoin', () => {
  it('runs one stop and start for a burst of requests, never two side by side', async () => {
    const e = election(0);
    const rejoin = new ElectionRejoin(e, { pauseMs: 1, maxPauseMs: 1 });
    await Promise.all(Array.from({ length: 16 }, () => rejoin.request()));
    expect(e.calls).toEqual(['stop', 'start']);
    expect(e.overlapped()).toBe(false);
    // A request after the rejoin finished is a new rejoin.
    await rejoin.request();
    expect(e.calls).toEqual(['stop', 'start', 'stop', 'start']);
  });

  it('retries a start that failed, with a growing pause, until the process is a candidate again', async () => {
    const e = election(3);
    const pauses: number[] = [];
    const rejoin = new ElectionRejoin(e, {
      pauseMs: 100,
      maxPauseMs: 250,
      onFailure: (_err, _attempt, ms) => pauses.push(ms),
      sleep: async () => {},
    });
    await rejoin.request();
    expect(e.calls.filter((c) => c === 'start')).toHaveLength(4);
    expect(pauses).toEqual([100, 200, 250]);
  });

  it('stops retrying once closed', async () => {
    const e = election(Number.POSITIVE_INFINITY);
    const rejoin: ElectionRejoin = new ElectionRejoin(e, {
      pauseMs: 1,
      maxPauseMs: 1,
      onFailure: (_err, attempt) => {
        if (attempt === 2) void rejoin.close();
      },
      sleep: async () => {},
    });
    await rejoin.request();
    expect(e.calls.filter((c) => c === 'start')).toHaveLength(2);
    await rejoin.request();
    expect(e.calls.filter((c) => c === 'start')).toHaveLength(2);
  });
});
