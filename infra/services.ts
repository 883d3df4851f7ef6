/**
 * The service processes of a local Seamline (order replicas, payment, inventory) as supervisor
 * specs: each runs the repository's Node with tsx, gets the stack's endpoints through SEAMLINE_*
 * variables, and counts as ready when `GET /health/ready` answers 200. `npm start` and
 * `npm run demo` start them through the stack supervisor, so `npm run stack -- pause order-1`
 * and the chaos scripts find them like any other process.
 */
import path from 'node:path';
import { restartProcess, startService, stopService } from './stack/index.ts';
import type { ProcessRecord, ServiceSpec, StackEndpoints, StackOptions } from './stack/index.ts';
import { readStatus } from './stack/index.ts';
import { REPO_ROOT } from './stack/options.ts';

export type ServiceKind = 'order' | 'payment' | 'inventory';

export interface ServiceLayout {
  /** Order replicas `order-1..order-N`, on consecutive ports from `orderPort`. @default 2 */
  orderReplicas?: number;
  /** @default 3000 */
  orderPort?: number;
  /** @default 3100 */
  paymentPort?: number;
  /** @default 3200 */
  inventoryPort?: number;
  /** Added to every service port, like the stack's own `offset`, so stacks run side by side. @default 0 */
  portOffset?: number;
  /** SEAMLINE_LOG_LEVEL of every service. @default 'info' */
  logLevel?: string;
  /** Added to every service's environment (after the stack's own variables). @default {} */
  env?: Record<string, string>;
}

/** Node 24 from the `node` npm package: the system's Node may be older. */
export const NODE = path.join(REPO_ROOT, 'node_modules', '.bin', 'node');

/** What every service needs to find the stack. */
export function stackEnv(stack: StackEndpoints): Record<string, string> {
  return {
    SEAMLINE_PG_URLS: stack.postgres.map((p) => `${p.name}=${p.url}`).join(','),
    SEAMLINE_NATS_URLS: stack.nats.join(','),
    // Streams and the election bucket cannot have more copies than there are NATS nodes.
    SEAMLINE_BUS_REPLICAS: String(Math.min(3, stack.nats.length)),
    SEAMLINE_NATS_REPLICAS: String(Math.min(3, stack.nats.length)),
  };
}

function spec(
  name: string,
  kind: ServiceKind,
  port: number,
  stack: StackEndpoints,
  layout: ServiceLayout,
): ServiceSpec {
  // The trailing argument marks the cmdline, so the supervisor tells order-1 from order-2.
  const marker = `--seamline-service=${name}`;
  return {
    name,
    command: NODE,
    args: ['--import', 'tsx', `apps/${kind}/main.ts`, marker],
    cwd: REPO_ROOT,
    env: {
      ...stackEnv(stack),
      SEAMLINE_HTTP_HOST: '127.0.0.1',
      SEAMLINE_HTTP_PORT: String(port),
      SEAMLINE_REPLICA_ID: name,
      SEAMLINE_LOG_LEVEL: layout.logLevel ?? 'info',
      ...layout.env,
    },
    ports: { http: port },
    readiness: { kind: 'http', url: `http://127.0.0.1:${port}/health/ready` },
    match: [marker],
  };
}

/** Payment and inventory first (so commands find a consumer), then the order replicas. */
export function serviceSpecs(stack: StackEndpoints, layout: ServiceLayout = {}): ServiceSpec[] {
  const replicas = layout.orderReplicas ?? 2;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 9) {
    throw new RangeError(`orderReplicas must be 1..9, got ${replicas}`);
  }
  const offset = layout.portOffset ?? 0;
  const orderPort = (layout.orderPort ?? 3000) + offset;
  const paymentPort = (layout.paymentPort ?? 3100) + offset;
  const inventoryPort = (layout.inventoryPort ?? 3200) + offset;
  // The order replicas' /dashboard reads payment's and inventory's /metrics wherever they run.
  const orderLayout: ServiceLayout = {
    ...layout,
    env: {
      SEAMLINE_PAYMENT_URL: `http://127.0.0.1:${paymentPort}`,
      SEAMLINE_INVENTORY_URL: `http://127.0.0.1:${inventoryPort}`,
      ...layout.env,
    },
  };
  return [
    spec('payment-1', 'payment', paymentPort, stack, layout),
    spec('inventory-1', 'inventory', inventoryPort, stack, layout),
    ...Array.from({ length: replicas }, (_, i) =>
      spec(`order-${i + 1}`, 'order', orderPort + i, stack, orderLayout),
    ),
  ];
}

/** Base URL of a spec's HTTP API. */
export function serviceUrl(service: ServiceSpec): string {
  return `http://127.0.0.1:${service.ports?.http ?? 0}`;
}

/**
 * Starts each service through the supervisor and waits until it is ready. A service already
 * running with the same spec is left alone. On a failure the services this call started are
 * stopped again before the error is thrown.
 */
export async function startServices(
  specs: readonly ServiceSpec[],
  options: StackOptions = {},
): Promise<ProcessRecord[]> {
  const records: ProcessRecord[] = [];
  try {
    for (const service of specs) records.push(await startService(service, options));
    return records;
  } catch (error) {
    await stopServices(
      records.map((r) => r.name),
      options,
    ).catch(() => {});
    throw error;
  }
}

/** Stops the named services (order replicas first, so no saga is sent to a stopped service). */
export async function stopServices(names: readonly string[], options: StackOptions = {}) {
  const ordered = [...names].sort(
    (a, b) => Number(!a.startsWith('order-')) - Number(!b.startsWith('order-')),
  );
  const results: { name: string; how: Awaited<ReturnType<typeof stopService>> }[] = [];
  for (const name of ordered) results.push({ name, how: await stopService(name, options) });
  return results;
}

/**
 * Keeps the named services alive: a service that exited (a fenced payment writer exits on
 * purpose so a fresh process campaigns again) is restarted from its recorded spec. A paused one
 * is left alone: pausing is what chaos does; so is a dead one `skip` names (a chaos run holding
 * it down for a while). Services that died together are restarted together: a NATS node kill
 * can cost payment and inventory their leases at once, and on a loaded machine one restart
 * (load, start-up steps, readiness) takes a minute the other must not wait behind. Returns a
 * function that stops the watching.
 */
export function reviveServices(
  names: readonly string[],
  options: StackOptions & {
    onRevive?: (name: string, outcome: string) => void;
    /** @default never */
    skip?: (name: string) => boolean;
    /** Injected for tests. @default restartProcess */
    restart?: (name: string, options: StackOptions) => Promise<Pick<ProcessRecord, 'pid'>>;
    /** Injected for tests. @default readStatus */
    status?: (options: StackOptions) => { processes: readonly { name: string; live: string }[] };
  },
  intervalMs = 2_000,
): () => Promise<void> {
  let stopped = false;
  let busy: Promise<void> = Promise.resolve();
  const restart = options.restart ?? restartProcess;
  const check = async () => {
    const view = (options.status ?? readStatus)(options);
    const dead = names.filter((name) => {
      const process = view.processes.find((p) => p.name === name);
      return process?.live === 'dead' && options.skip?.(name) !== true;
    });
    await Promise.all(
      dead.map(async (name) => {
        if (stopped) return;
        options.onRevive?.(name, 'exited; restarting');
        try {
          const record = await restart(name, options);
          options.onRevive?.(name, `restarted, pid ${record.pid}`);
        } catch (error) {
          options.onRevive?.(name, `restart failed: ${(error as Error).message.split('\n')[0]}`);
        }
      }),
    );
  };
  const timer = setInterval(() => {
    busy = busy.then(check, check);
  }, intervalMs);
  return async () => {
    stopped = true;
    clearInterval(timer);
    await busy.catch(() => {});
  };
}
