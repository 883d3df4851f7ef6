/**
 * The life of a local Seamline for `npm start` and `npm run demo`: hold the stack (starting it
 * when nothing runs), start the services that are not already running, wait for an order
 * leader; and at the end give back exactly what was taken: services this run started are
 * stopped, and the stack goes down only if this run brought it up and nobody else holds it.
 */
import { holdStack, readStatus, stackUp, waitFor } from '../stack/index.ts';
import type { ServiceSpec, StackEndpoints, StackHold, StackOptions } from '../stack/index.ts';
import { serviceSpecs, serviceUrl, startServices, stopServices } from '../services.ts';
import type { ServiceLayout } from '../services.ts';

export interface LocalRunOptions {
  /** Shown by `npm run stack -- status` as the holder. */
  purpose: string;
  layout: ServiceLayout;
  stack: StackOptions;
  log: (line: string) => void;
  /** How long to wait for an order replica to win the election. @default 60_000 */
  leaderTimeoutMs?: number;
}

export interface LocalRun {
  endpoints: StackEndpoints;
  specs: ServiceSpec[];
  /** This run brought the stack up. */
  stackStarted: boolean;
  /** Services this run started (the others were running already and are left alone). */
  startedServices: string[];
  orderUrls: string[];
  paymentUrl: string;
  inventoryUrl: string;
  /** Stops what this run started. */
  teardown(): Promise<void>;
  /** Leaves everything running: the stack is pinned so a later test run will not stop it. */
  keep(): Promise<void>;
}

export async function bringUp(options: LocalRunOptions): Promise<LocalRun> {
  const { log } = options;
  const hold: StackHold = await holdStack({ ...options.stack, purpose: options.purpose, log });
  log(hold.started ? 'stack started' : 'using the running stack');
  const endpoints = hold.report.endpoints;
  const specs = serviceSpecs(endpoints, {
    portOffset: options.stack.offset ?? 0,
    ...options.layout,
  });
  const running = new Set(
    readStatus(options.stack)
      .processes.filter((p) => p.kind === 'service' && p.live !== 'dead')
      .map((p) => p.name),
  );
  const startedServices = specs.map((s) => s.name).filter((name) => !running.has(name));
  const teardown = async () => {
    await stopServices(startedServices, { ...options.stack, log }).catch((error: unknown) =>
      log(`stopping services failed: ${(error as Error).message}`),
    );
    const { down } = await hold.release();
    if (down) log('stack stopped');
  };
  try {
    await startServices(specs, { ...options.stack, log });
  } catch (error) {
    await hold.release();
    throw error;
  }
  const byName = (name: string) => serviceUrl(specs.find((s) => s.name === name)!);
  const orderUrls = specs.filter((s) => s.name.startsWith('order-')).map(serviceUrl);
  try {
    await awaitOrderLeader(orderUrls, options.leaderTimeoutMs ?? 60_000);
  } catch (error) {
    await teardown();
    throw error;
  }
  return {
    endpoints,
    specs,
    stackStarted: hold.started,
    startedServices,
    orderUrls,
    paymentUrl: byName('payment-1'),
    inventoryUrl: byName('inventory-1'),
    teardown,
    keep: async () => {
      await stackUp({ ...options.stack, pin: true });
      await hold.release();
    },
  };
}

/** Resolves with the URL of the order replica that leads once one does. */
export async function awaitOrderLeader(
  urls: readonly string[],
  timeoutMs: number,
): Promise<string> {
  return waitFor(
    async () => {
      for (const url of urls) {
        try {
          const response = await fetch(`${url}/health/ready`, {
            signal: AbortSignal.timeout(2_000),
          });
          const body = (await response.json()) as { leader?: boolean };
          if (response.ok && body.leader === true) return url;
        } catch {
          // Not answering yet; the next replica may.
        }
      }
      return undefined;
    },
    { what: 'an order replica to win the leader election', timeoutMs, intervalMs: 250 },
  );
}
