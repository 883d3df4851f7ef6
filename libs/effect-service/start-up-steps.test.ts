/**
 * Hole 9 (a restarted service that never came back): the start-up steps. Hunts a step that can
 * wait for ever, a failure or overrun that does not name its step, a step's error that loses
 * its code, retryability or cause (the runner tells passing conditions from terminal ones by
 * them), and a step that is not logged as started and done with its duration.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  BoundExceededError,
  StartUpStepError,
  StartUpSteps,
  StartUpStepTimeoutError,
  withinBound,
} from './start-up-steps.ts';

function capture() {
  const lines: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
  const log = {
    info: (fields: Record<string, unknown>, msg: string) =>
      lines.push({ level: 'info', fields, msg }),
    error: (fields: Record<string, unknown>, msg: string) =>
      lines.push({ level: 'error', fields, msg }),
  };
  return { log, lines };
}

describe('StartUpSteps', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('logs a step as started with its bound and done with its duration', async () => {
    const { log, lines } = capture();
    const steps = new StartUpSteps({ log, clock: () => Date.now() });
    const running = steps.run('store', 1_000, async () => {
      await new Promise((r) => setTimeout(r, 120));
      return 'opened';
    });
    await vi.advanceTimersByTimeAsync(120);
    expect(await running).toBe('opened');
    expect(lines).toEqual([
      {
        level: 'info',
        fields: { event: 'start-up-step', step: 'store', phase: 'started', boundMs: 1_000 },
        msg: 'start-up step store: started',
      },
      {
        level: 'info',
        fields: { event: 'start-up-step', step: 'store', phase: 'done', durationMs: 120 },
        msg: 'start-up step store: done in 120 ms',
      },
    ]);
  });

  it('fails a step that overruns its bound, naming the step and where it was', async () => {
    const { log, lines } = capture();
    const steps = new StartUpSteps({ log, clock: () => Date.now() });
    const running = steps.run(
      'election',
      500,
      () => new Promise<never>(() => {}),
      () => 'payment-writer held by payment-1 at revision 7',
    );
    const outcome = running.then(
      () => undefined,
      (e: unknown) => e,
    );
    await vi.advanceTimersByTimeAsync(500);
    const err = await outcome;
    expect(err).toBeInstanceOf(StartUpStepTimeoutError);
    expect(err).toMatchObject({
      code: 'START_UP_STEP_TIMEOUT',
      retryable: true,
      step: 'election',
      boundMs: 500,
      message:
        'start-up step "election" did not finish within 500 ms (payment-writer held by payment-1 at revision 7)',
    });
    expect(lines.at(-1)).toEqual({
      level: 'error',
      fields: {
        event: 'start-up-step',
        step: 'election',
        phase: 'timed-out',
        durationMs: 500,
        boundMs: 500,
        err: (err as Error).message,
      },
      msg: (err as Error).message,
    });
  });

  it("names the step that failed and keeps the failure's code, retryability and cause", async () => {
    const { log, lines } = capture();
    const steps = new StartUpSteps({ log });
    const cause = Object.assign(new Error('no responders: $JS.API.INFO'), {
      code: 'NO_RESPONDERS',
      retryable: true,
    });
    const err = await steps
      .run('chaos rules', 1_000, () => Promise.reject(cause))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(StartUpStepError);
    expect(err).toMatchObject({
      step: 'chaos rules',
      code: 'NO_RESPONDERS',
      retryable: true,
      cause,
      message: 'start-up step "chaos rules" failed: no responders: $JS.API.INFO',
    });
    expect(lines.at(-1)?.fields).toMatchObject({ step: 'chaos rules', phase: 'failed' });
  });

  it('logs the whole start with its duration', () => {
    const { log, lines } = capture();
    let now = 10;
    const steps = new StartUpSteps({ log, clock: () => now });
    now = 2_510;
    steps.done('payment started: the writer, consuming commands');
    expect(lines).toEqual([
      {
        level: 'info',
        fields: { event: 'start-up', phase: 'done', durationMs: 2_500 },
        msg: 'payment started: the writer, consuming commands',
      },
    ]);
  });
});

describe('withinBound', () => {
  it('answers with the work when it finishes in time, and with an overrun error otherwise', async () => {
    await expect(withinBound(async () => 'closed', 1_000)).resolves.toBe('closed');
    await expect(withinBound(() => new Promise<never>(() => {}), 10)).rejects.toBeInstanceOf(
      BoundExceededError,
    );
  });
});
