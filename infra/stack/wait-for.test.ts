/**
 * Hunts: a wait that returns before the condition holds, swallows the reason it failed, keeps
 * polling after abortIf said the process died, or ignores its deadline.
 */
import { describe, expect, it } from 'vitest';
import { WaitAbortedError, WaitTimeoutError, waitFor } from './wait-for.ts';

describe('waitFor', () => {
  it('returns the first truthy value of the condition', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? `after ${calls}` : undefined), {
      what: 'three calls',
      intervalMs: 1,
    });
    expect(value).toBe('after 3');
  });

  it('times out naming what it waited for and the last failure', async () => {
    const error = await waitFor(
      () => {
        throw Object.assign(new Error('connect refused'), { code: 'ECONNREFUSED' });
      },
      { what: 'pg-9 answering', timeoutMs: 50, intervalMs: 5 },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect((error as Error).message).toMatch(/pg-9 answering.*ECONNREFUSED: connect refused/);
  });

  it('stops at once when abortIf gives a reason', async () => {
    let calls = 0;
    const started = Date.now();
    const error = await waitFor(
      () => {
        calls += 1;
        return false;
      },
      {
        what: 'x',
        timeoutMs: 10_000,
        intervalMs: 1,
        abortIf: () => (calls >= 2 ? 'the process exited' : undefined),
      },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitAbortedError);
    expect((error as Error).message).toContain('the process exited');
    expect(calls).toBe(2);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
