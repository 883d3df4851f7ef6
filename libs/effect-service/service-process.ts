/**
 * The life of one service process around its app: read the config (status 2 when it is bad,
 * with one fatal JSON line naming the variable), start tracing BEFORE the app's modules load
 * (pg and fastify are patched when loaded, so `start` must import them itself), start the app
 * (status 1 when that fails, or later when the writer is fenced or loses its lease, so the
 * supervisor starts a fresh process that campaigns for a new token), and close it in order on
 * SIGTERM/SIGINT.
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
  let service: RunningService;
  try {
    service = await spec.start(config, () => host.exit(1));
  } catch (err) {
    fatalLine({ msg: 'start-up failed', err: (err as Error).message });
    host.exit(1);
    return;
  }

  const shutdown = (): void => {
    service
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
