/**
 * The life of one service process around its app: read the config (status 2 when it is bad,
 * with one fatal JSON line naming the variable), start tracing BEFORE the app's modules load
 * (pg and fastify are patched when loaded, so `start` must import them itself), start the app
 * (status 1 when that fails, or later when the writer is fenced or loses its lease, so the
 * supervisor starts a fresh process that campaigns for a new token), and close it in order on
 * SIGTERM/SIGINT. The app's start-up steps are bounded (`StartUpSteps`): a step that overruns
 * ends the start with status 1 at once, naming the step.
 */
import { startTracing } from '@seamline/observability';

/** The part of the configuration the process itself reads. */
export interface ProcessConfig {
  readonly replicaId: string;
  readonly otlpUrl: string | undefined;
}

/** A started app, as far as the process is concerned. */
export interface RunningService {
  close(): Promise<void>;
}

export interface ServiceProcessSpec<C extends ProcessConfig> {
  /** `service` of the fatal log lines and the traces' `service.name`. */
  readonly service: string;
  /** Reads the environment; a throw is a configuration error (status 2). */
  readonly loadConfig: () => C;
  /**
   * Imports and starts the app; `onFatal` is for the writer's unrecoverable stops (status 1).
   * Import the app module dynamically in here, so it loads after tracing has started.
   */
  readonly start: (config: C, onFatal: (reason: string) => void) => Promise<RunningService>;
  /**
   * A start-up that fails on a passing condition (a NATS request timing out while the cluster
   * elects a new meta or stream leader, a connection refused while a server restarts) is tried
   * again with a doubling delay (0.5 s .. 5 s) for this long before the process gives up with
   * status 1. Any other failure exits at once. @default { windowMs: 60_000 }
   */
  readonly startRetry?: StartRetry;
}

export interface StartRetry {
  readonly windowMs: number;
  /** Injected for tests. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Injected for tests. @default Date.now */
  readonly clock?: () => number;
}

const PASSING =
  /timeout|timed out|no responders|jetstream is not enabled|ECONNREFUSED|CONNECTION_REFUSED|closed connection|disconnect/i;

/**
 * Whether a start-up error is one that goes away by itself (see `startRetry`). A start-up step
 * that overran its bound is not: its work may still hang on what it opened, so the process
 * exits and the supervisor starts a fresh one.
 */
export function isPassingStartError(err: unknown): boolean {
  const e = err as { name?: unknown; message?: unknown; code?: unknown } | undefined;
  if (e?.code === 'START_UP_STEP_TIMEOUT') return false;
  return PASSING.test(`${String(e?.name)} ${String(e?.message)} ${String(e?.code)}`);
}

/** What the runner uses of `process`; tests pass a fake. */
export interface ProcessHost {
  exit(code: number): void;
  once(signal: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
  readonly stderr: { write(line: string): unknown };
}

/** Runs one service process to completion (it ends by `host.exit`). */
export async function runServiceProcess<C extends ProcessConfig>(
  spec: ServiceProcessSpec<C>,
  host: ProcessHost = process,
): Promise<void> {
  const fatalLine = (fields: Record<string, unknown>): void => {
    host.stderr.write(`${JSON.stringify({ level: 'fatal', service: spec.service, ...fields })}\n`);
  };
  let config: C;
  try {
    config = spec.loadConfig();
  } catch (err) {
    fatalLine({ msg: (err as Error).message });
    host.exit(2);
    return;
  }

  const tracing = startTracing({
    serviceName: spec.service,
    instanceId: config.replicaId,
    ...(config.otlpUrl === undefined ? {} : { otlpUrl: config.otlpUrl }),
  });
  const retry = spec.startRetry ?? { windowMs: 60_000 };
  const sleep = retry.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const clock = retry.clock ?? Date.now;
  const giveUpAt = clock() + retry.windowMs;
  let service: RunningService | undefined;
  for (let delayMs = 500; service === undefined; delayMs = Math.min(delayMs * 2, 5_000)) {
    try {
      service = await spec.start(config, () => host.exit(1));
    } catch (err) {
      const message = (err as Error).message;
      if (!isPassingStartError(err) || clock() + delayMs > giveUpAt) {
        fatalLine({ msg: 'start-up failed', err: message });
        host.exit(1);
        return;
      }
      host.stderr.write(
        `${JSON.stringify({ level: 'warn', service: spec.service, msg: 'start-up failed; retrying', err: message, retryInMs: delayMs })}\n`,
      );
      await sleep(delayMs);
    }
  }
  const running = service;

  const shutdown = (): void => {
    running
      .close()
      .then(() => tracing.shutdown())
      .then(
        () => host.exit(0),
        () => host.exit(1),
      );
  };
  host.once('SIGTERM', shutdown);
  host.once('SIGINT', shutdown);
}
