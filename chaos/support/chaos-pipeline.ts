/**
 * The whole pipeline as real processes under the stack supervisor, for chaos runs: order
 * replicas, payment and inventory, each its own process group (so SIGSTOP and SIGKILL hit the
 * real thing), found through the status file like any other process. Every run is isolated by a
 * run id: its own process names, ports, databases, bus prefix and election bucket, so a chaos
 * run never disturbs a demo on the same stack and its audit sees only its own orders.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import type { ServiceSpec, StackEndpoints, StackOptions } from '../../infra/stack/index.ts';
import { reviveServices, serviceSpecs, startServices, stopServices } from '../../infra/services.ts';

export interface ChaosPipelineOptions {
  readonly stack: StackEndpoints;
  /** Which stack the supervisor acts on (root, port offset). @default the default stack */
  readonly stackOptions?: StackOptions;
  /** @default 3 */
  readonly orderReplicas?: number;
  /** Environment of the order replicas only (lease timing, test switches). @default {} */
  readonly orderEnv?: Record<string, string>;
  /** Environment of every service. @default {} */
  readonly env?: Record<string, string>;
  /** @default 'info' (the scenarios read the order replicas' info lines) */
  readonly logLevel?: string;
  /** Fixture sizes: accounts cust-1..N (plus cust-broke), skus sku-1..M (plus sku-rare). */
  readonly fixture?: { customers: number; skus: number };
  /** Restart payment/inventory when they exit (a writer that lost its lease exits). @default true */
  readonly revive?: boolean;
  readonly log?: (line: string) => void;
}

export interface ServiceEndpoint {
  /** The supervisor's process name. */
  readonly name: string;
  readonly url: string;
}

export interface ChaosPipeline {
  readonly runId: string;
  readonly stack: StackEndpoints;
  readonly stackOptions: StackOptions;
  readonly databases: { order: string; payment: string; inventory: string };
  readonly busPrefix: string;
  readonly orders: readonly ServiceEndpoint[];
  readonly payment: ServiceEndpoint;
  readonly inventory: ServiceEndpoint;
  readonly fixture: { customers: number; skus: number };
  /**
   * Keeps payment or inventory down once it dies: the reviver leaves it alone until the
   * returned release is called, then restarts it on its next round.
   */
  holdDown(name: string): () => void;
  /** Stops every process of the run, then drops its databases and streams unless kept. */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

const KINDS = ['order', 'payment', 'inventory'] as const;

export async function startChaosPipeline(options: ChaosPipelineOptions): Promise<ChaosPipeline> {
  const log = options.log ?? (() => {});
  const runId = `c${randomBytes(3).toString('hex')}`;
  const stackOptions = options.stackOptions ?? {};
  const replicas = options.orderReplicas ?? 3;
  const base = await freePortRange(replicas + 2);
  const databases = {
    order: `${runId}_order`,
    payment: `${runId}_payment`,
    inventory: `${runId}_inventory`,
  };
  const busPrefix = runId;
  const specs = serviceSpecs(options.stack, {
    orderReplicas: replicas,
    orderPort: base,
    paymentPort: base + replicas,
    inventoryPort: base + replicas + 1,
    logLevel: options.logLevel ?? 'info',
    env: {
      SEAMLINE_BUS_PREFIX: busPrefix,
      SEAMLINE_ELECTION_BUCKET: `${busPrefix}-election`,
      ...options.env,
    },
  }).map((spec) => isolate(spec, runId, databases, options.orderEnv ?? {}));
  log(`run ${runId}: starting ${specs.map((s) => s.name).join(', ')} (ports ${base}..)`);
  await startServices(specs, stackOptions);
  const endpoint = (s: ServiceSpec): ServiceEndpoint => ({
    name: s.name,
    url: `http://127.0.0.1:${s.ports?.http ?? 0}`,
  });
  const byKind = (kind: string) => specs.filter((s) => kindOf(s) === kind).map(endpoint);
  const payment = byKind('payment')[0]!;
  const inventory = byKind('inventory')[0]!;
  const fixture = options.fixture ?? { customers: 50, skus: 20 };
  await postJson(`${payment.url}/admin/seed`, {
    customers: fixture.customers,
    balanceCents: 10_000_000,
    brokeCustomer: true,
  });
  await postJson(`${inventory.url}/admin/seed`, {
    skus: fixture.skus,
    stock: 1_000_000,
    rareSku: true,
  });
  const held = new Map<string, number>();
  const stopReviving =
    options.revive === false
      ? async () => {}
      : reviveServices([payment.name, inventory.name], {
          ...stackOptions,
          onRevive: (name, outcome) => log(`${name}: ${outcome}`),
          skip: (name) => (held.get(name) ?? 0) > 0,
        });
  let stopped = false;
  return {
    runId,
    stack: options.stack,
    stackOptions,
    databases,
    busPrefix,
    orders: byKind('order'),
    payment,
    inventory,
    fixture,
    holdDown(name) {
      held.set(name, (held.get(name) ?? 0) + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        held.set(name, (held.get(name) ?? 1) - 1);
      };
    },
    async stop({ keepData = false } = {}) {
      if (stopped) return;
      stopped = true;
      await stopReviving();
      await stopServices(
        specs.map((s) => s.name),
        stackOptions,
      );
      if (!keepData) await dropRunData(options.stack, databases, busPrefix);
    },
  };
}

function kindOf(spec: ServiceSpec): (typeof KINDS)[number] {
  const entry = spec.args?.find((a) => /^apps\/[a-z]+\/main\.ts$/.test(a));
  const kind = KINDS.find((k) => entry === `apps/${k}/main.ts`);
  if (kind === undefined) throw new Error(`cannot tell the service kind of ${spec.name}`);
  return kind;
}

/** Renames a service for this run and gives it the run's own database. */
function isolate(
  spec: ServiceSpec,
  runId: string,
  databases: Record<(typeof KINDS)[number], string>,
  orderEnv: Record<string, string>,
): ServiceSpec {
  const kind = kindOf(spec);
  const name = `${runId}-${spec.name}`;
  const marker = `--seamline-service=${spec.name}`;
  if (!spec.args?.includes(marker)) throw new Error(`${spec.name}: no ${marker} in its args`);
  const renamed = `--seamline-service=${name}`;
  return {
    ...spec,
    name,
    args: spec.args.map((a) => (a === marker ? renamed : a)),
    match: [renamed],
    env: {
      ...spec.env,
      SEAMLINE_REPLICA_ID: name,
      SEAMLINE_DB: databases[kind],
      ...(kind === 'order' ? orderEnv : {}),
    },
  };
}

/** A run of `count` consecutive free loopback ports, starting at a random base. */
async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    // Below the kernel's ephemeral range (32768+ on Linux): a port found free there can be
    // taken by any outgoing connection before the service binds it.
    const base = 20_000 + Math.floor(Math.random() * (12_000 - count));
    const free = await Promise.all(Array.from({ length: count }, (_, i) => portFree(base + i)));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function postJson(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  if (!res.ok) throw new Error(`POST ${url} answered ${res.status}: ${await res.text()}`);
}

async function dropRunData(
  stack: StackEndpoints,
  databases: Record<string, string>,
  busPrefix: string,
): Promise<void> {
  for (const p of stack.postgres) {
    const c = new pg.Client({ connectionString: p.url, connectionTimeoutMillis: 5_000 });
    c.on('error', () => {});
    try {
      await c.connect();
      for (const db of Object.values(databases))
        await c.query(`drop database if exists ${pg.escapeIdentifier(db)} with (force)`);
    } catch {
      // A replica that is down keeps its copy; the run's names are unique, so it is inert.
    } finally {
      await c.end().catch(() => {});
    }
  }
  const nc = await connect({ servers: stack.nats });
  try {
    const jsm = await jetstreamManager(nc);
    const ours = (name: string) =>
      name.startsWith(busPrefix.toUpperCase()) || name === `KV_${busPrefix}-election`;
    // Names first, then delete; re-list until none is left (a delete can time out while a
    // stream's Raft group elects a leader), so no run leaves streams a node must carry.
    for (let round = 0; round < 5; round++) {
      const names: string[] = [];
      for await (const s of jsm.streams.list()) if (ours(s.config.name)) names.push(s.config.name);
      if (names.length === 0) return;
      for (const name of names) await jsm.streams.delete(name).catch(() => false);
    }
  } finally {
    await nc.close();
  }
}
