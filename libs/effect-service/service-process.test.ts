/**
 * Hunts process-lifecycle bugs: a bad environment starting anyway or exiting with the restart
 * status (the supervisor would loop), a failed start-up or a fenced writer not exiting, a
 * signal exiting before the app closed, and a failed close reported as success.
 */
import { describe, expect, it } from 'vitest';
import { InvalidConfigError } from './config-error.ts';
import type { ProcessHost, RunningService, ServiceProcessSpec } from './service-process.ts';
import { runServiceProcess } from './service-process.ts';
import { StartUpStepError, StartUpStepTimeoutError } from './start-up-steps.ts';

type Signal = 'SIGTERM' | 'SIGINT';

function fakeHost() {
  const events: string[] = [];
  const lines: Record<string, unknown>[] = [];
  const handlers = new Map<Signal, () => void>();
  let exited!: (code: number) => void;
  const exit = new Promise<number>((resolve) => (exited = resolve));
  const host: ProcessHost = {
    exit: (code) => {
      events.push(`exit ${code}`);
      exited(code);
    },
    once: (signal, listener) => handlers.set(signal, listener),
    stderr: { write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  };
  return { host, events, lines, handlers, exit };
}

const config = { replicaId: 'ledger-1', otlpUrl: undefined };

function spec(
  start: ServiceProcessSpec<typeof config>['start'],
  loadConfig = () => config,
): ServiceProcessSpec<typeof config> {
  return { service: 'ledger', loadConfig, start };
}

describe('runServiceProcess', () => {
  it('exits 2 without starting when the configuration is bad, naming the variable', async () => {
    const h = fakeHost();
    let started = false;
    await runServiceProcess(
      spec(
        async () => {
          started = true;
          return { close: async () => undefined };
        },
        () => {
          throw new InvalidConfigError('SEAMLINE_DB', 'a lower-case PostgreSQL identifier');
        },
      ),
      h.host,
    );
    expect(await h.exit).toBe(2);
    expect(started).toBe(false);
    expect(h.lines).toEqual([
      {
        level: 'fatal',
        service: 'ledger',
        msg: 'invalid configuration: SEAMLINE_DB: a lower-case PostgreSQL identifier',
      },
    ]);
  });

  it('exits 1 with one fatal line when start-up fails', async () => {
    const h = fakeHost();
    await runServiceProcess(
      spec(async () => {
        throw new Error('no quorum');
      }),
      h.host,
    );
    expect(await h.exit).toBe(1);
    expect(h.lines).toEqual([
      { level: 'fatal', service: 'ledger', msg: 'start-up failed', err: 'no quorum' },
    ]);
    expect(h.handlers.size).toBe(0);
  });

  it('retries a start-up that failed on a passing condition, with a doubling delay', async () => {
    const h = fakeHost();
    const slept: number[] = [];
    let now = 0;
    let calls = 0;
    await runServiceProcess(
      {
        ...spec(async () => {
          calls += 1;
          if (calls === 1) throw new Error('timeout');
          if (calls === 2) throw Object.assign(new Error('no responders: $JS.API.INFO'), {});
          return { close: async () => undefined };
        }),
        startRetry: {
          windowMs: 10_000,
          clock: () => now,
          sleep: async (ms) => void slept.push((now += ms)),
        },
      },
      h.host,
    );
    expect(calls).toBe(3);
    expect(slept).toEqual([500, 1500]);
    expect(h.events).toEqual([]);
    expect(h.lines.map((l) => [l.level, l.msg, l.err])).toEqual([
      ['warn', 'start-up failed; retrying', 'timeout'],
      ['warn', 'start-up failed; retrying', 'no responders: $JS.API.INFO'],
    ]);
    expect(h.handlers.size).toBe(2);
  });

  it('hole 9: exits 1 at once, naming the step, when a start-up step overran its bound', async () => {
    const h = fakeHost();
    let calls = 0;
    await runServiceProcess(
      {
        ...spec(async () => {
          calls += 1;
          throw new StartUpStepTimeoutError('election', 30_000);
        }),
        startRetry: { windowMs: 60_000, sleep: async () => undefined },
      },
      h.host,
    );
    expect(await h.exit).toBe(1);
    // Not tried again in-process: the overrun work may still hold what it opened.
    expect(calls).toBe(1);
    expect(h.lines).toEqual([
      {
        level: 'fatal',
        service: 'ledger',
        msg: 'start-up failed',
        err: 'start-up step "election" did not finish within 30000 ms',
      },
    ]);
  });

  it('still retries a step that failed on a passing condition', async () => {
    const h = fakeHost();
    let calls = 0;
    await runServiceProcess(
      {
        ...spec(async () => {
          calls += 1;
          if (calls === 1) throw new StartUpStepError('election', new Error('timeout'));
          return { close: async () => undefined };
        }),
        startRetry: { windowMs: 60_000, sleep: async () => undefined },
      },
      h.host,
    );
    expect(calls).toBe(2);
    expect(h.events).toEqual([]);
  });

  it('gives up with status 1 once the retry window is spent', async () => {
    const h = fakeHost();
    let now = 0;
    let calls = 0;
    await runServiceProcess(
      {
        ...spec(async () => {
          calls += 1;
          throw new Error('timeout');
        }),
        startRetry: { windowMs: 3_000, clock: () => now, sleep: async (ms) => void (now += ms) },
      },
      h.host,
    );
    expect(await h.exit).toBe(1);
    // 0.5 s + 1 s + 2 s would end past the 3 s window: three tries, then the fatal line.
    expect(calls).toBe(3);
    expect(h.lines.at(-1)).toEqual({
      level: 'fatal',
      service: 'ledger',
      msg: 'start-up failed',
      err: 'timeout',
    });
  });

  it('exits 1 when the running writer reports a fatal stop', async () => {
    const h = fakeHost();
    let fatal!: (reason: string) => void;
    await runServiceProcess(
      spec(async (_config, onFatal) => {
        fatal = onFatal;
        return { close: async () => undefined };
      }),
      h.host,
    );
    expect(h.events).toEqual([]);
    fatal('fenced');
    expect(await h.exit).toBe(1);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('closes the app on %s, then exits 0', async (signal) => {
    const h = fakeHost();
    const app: RunningService = {
      close: async () => {
        h.events.push('closed');
      },
    };
    await runServiceProcess(
      spec(async () => app),
      h.host,
    );
    h.handlers.get(signal)!();
    expect(await h.exit).toBe(0);
    expect(h.events).toEqual(['closed', 'exit 0']);
  });

  it('exits 1 when closing fails', async () => {
    const h = fakeHost();
    await runServiceProcess(
      spec(async () => ({
        close: async () => {
          throw new Error('stuck');
        },
      })),
      h.host,
    );
    h.handlers.get('SIGTERM')!();
    expect(await h.exit).toBe(1);
  });
});
