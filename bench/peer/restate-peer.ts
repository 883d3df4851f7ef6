/**
 * Restate as the peer benchmark drives it: `restate-server` and the SDK come from the npm
 * registry, installed on first use into bench/peer/restate/ (its own package.json and
 * node_modules, never the project's dependencies); the server runs from the platform package's
 * binary with a fresh data directory per configuration, and the saga's three services
 * (bench/peer/restate/services.mjs) run on the project's Node 24.
 *
 * What differs from Restate's defaults is only what a shared machine needs: ports shifted by the
 * stack offset and bound to loopback, TCP listeners only (its Unix sockets would live in the data
 * directory, whose path may be too long for one), telemetry off (no network but loopback), and
 * the services' SDK logging at WARN, as Seamline's services run at `warn` here.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { NODE } from '../../infra/services.ts';
import { waitFor } from '../../infra/stack/index.ts';
import { REPO_ROOT } from '../../infra/stack/options.ts';
import { readCmdline, snapshot, withDescendants } from '../../infra/stack/process-table.ts';
import type { PeerOrder } from './closed-loop.ts';
import { configLabel } from './peer-options.ts';
import type { RestateConfig } from './peer-options.ts';
import type { CpuSource } from './proc-cpu.ts';

export const RESTATE_DIR = path.join(REPO_ROOT, 'bench', 'peer', 'restate');

export interface RestatePorts {
  ingress: number;
  admin: number;
  /** Node-to-node (message fabric); unused by one node, bound all the same. */
  fabric: number;
  services: number;
}

/** Restate's default ports (ingress 8080, admin 9070, fabric 5122; services 9080) + offset. */
export function restatePorts(offset: number): RestatePorts {
  return {
    ingress: 8080 + offset,
    admin: 9070 + offset,
    fabric: 5122 + offset,
    services: 9080 + offset,
  };
}

function serverBinary(): string {
  return path.join(
    RESTATE_DIR,
    'node_modules',
    '@restatedev',
    `restate-server-${process.platform}-${process.arch}`,
    'bin',
    'restate-server',
  );
}

function installed(): boolean {
  return (
    fs.existsSync(serverBinary()) &&
    fs.existsSync(path.join(RESTATE_DIR, 'node_modules', '@restatedev', 'restate-sdk'))
  );
}

export class RestateSetupError extends Error {
  readonly code = 'RESTATE_SETUP';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RestateSetupError';
  }
}

/**
 * Installs the pinned Restate packages into bench/peer/restate/ unless they are there already,
 * and answers the server's version. `npm ci` from that folder's own lockfile, so the project's
 * root package.json and lockfile are never touched.
 */
export function ensureRestateInstalled(log: (line: string) => void): string {
  if (!installed()) {
    log(`installing @restatedev/restate-server and restate-sdk into ${RESTATE_DIR} (first use)`);
    const lockfile = fs.existsSync(path.join(RESTATE_DIR, 'package-lock.json'));
    const result = spawnSync(
      'npm',
      [lockfile ? 'ci' : 'install', '--no-audit', '--no-fund', '--prefix', RESTATE_DIR],
      {
        cwd: RESTATE_DIR,
        stdio: ['ignore', 'inherit', 'inherit'],
        // The server package's analytics dependency would phone home from its install script.
        env: { ...process.env, SCARF_ANALYTICS: 'false' },
      },
    );
    if (result.status !== 0 || !installed()) {
      throw new RestateSetupError(
        `could not install Restate into ${RESTATE_DIR} (npm exited ${result.status ?? result.signal}); ` +
          `expected the binary at ${serverBinary()}`,
        { cause: result.error },
      );
    }
  }
  const version = spawnSync(serverBinary(), ['--version'], { encoding: 'utf8' });
  if (version.status !== 0) {
    throw new RestateSetupError(
      `${serverBinary()} does not run here: ${version.stderr || version.error?.message}`,
    );
  }
  // `restate-server 1.7.12` -> `1.7.12`
  return version.stdout.trim().replace(/^restate-server\s+/, '');
}

async function assertPortFree(port: number, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (error) =>
      reject(new RestateSetupError(`port ${port} (${what}) is taken: ${(error as Error).message}`)),
    );
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

async function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

interface Started {
  name: string;
  pid: number;
}

/** Starts `command` as the leader of its own process group, output appended to `logPath`. */
async function spawnGroup(
  name: string,
  command: string,
  args: string[],
  env: Record<string, string>,
  cwd: string,
  logPath: string,
): Promise<Started> {
  const fd = fs.openSync(logPath, 'a');
  try {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, ...env },
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    child.on('error', () => {});
    child.unref();
    if (child.pid === undefined) throw new RestateSetupError(`${name}: no pid`);
    return { name, pid: child.pid };
  } finally {
    fs.closeSync(fd);
  }
}

function alive(pid: number): boolean {
  return snapshot().some((stat) => stat.pid === pid);
}

/** SIGTERM to the group, SIGKILL after `graceMs`, and wait until the leader is gone. */
async function stopGroup(started: Started, graceMs: number): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-started.pid, sig);
    } catch {
      // Already gone.
    }
  };
  signal('SIGTERM');
  try {
    await waitFor(() => !alive(started.pid), {
      what: `${started.name} to exit`,
      timeoutMs: graceMs,
      intervalMs: 100,
    });
  } catch {
    signal('SIGKILL');
    await waitFor(() => !alive(started.pid), {
      what: `${started.name} to exit after SIGKILL`,
      timeoutMs: 10_000,
      intervalMs: 100,
    });
  }
}

/** Stops what a crashed earlier run left behind, identified by its recorded pid and cmdline. */
async function stopLeftovers(pidFile: string, marker: string): Promise<void> {
  let recorded: Started[] = [];
  try {
    recorded = JSON.parse(fs.readFileSync(pidFile, 'utf8')) as Started[];
  } catch {
    return;
  }
  for (const started of recorded) {
    if (alive(started.pid) && readCmdline(started.pid).includes(marker)) {
      await stopGroup(started, 10_000);
    }
  }
  fs.rmSync(pidFile, { force: true });
}

export interface RestateUnderTest {
  label: string;
  place(key: string, order: PeerOrder): Promise<string>;
  cpuSources: CpuSource[];
  stop(): Promise<void>;
}

export async function startRestate(options: {
  config: RestateConfig;
  offset: number;
  /** Data and logs of this configuration go under here (wiped first). */
  workDir: string;
  log: (line: string) => void;
}): Promise<RestateUnderTest> {
  const { config, workDir, log } = options;
  const ports = restatePorts(options.offset);
  const pidFile = path.join(path.dirname(workDir), 'restate.pids.json');
  await stopLeftovers(pidFile, RESTATE_DIR);
  fs.rmSync(workDir, { recursive: true, force: true });
  fs.mkdirSync(workDir, { recursive: true });
  for (const [what, port] of Object.entries(ports)) await assertPortFree(port, what);

  const started: Started[] = [];
  const record = () => fs.writeFileSync(pidFile, JSON.stringify(started));
  const stop = async () => {
    for (const s of [...started].reverse()) await stopGroup(s, 30_000);
    fs.rmSync(pidFile, { force: true });
    // The logs stay for a look after the run; the server's data is of no use once it is down.
    fs.rmSync(path.join(workDir, 'data'), { recursive: true, force: true });
  };
  try {
    const partitions = config === 'default' ? [] : ['--default-num-partitions', String(config)];
    started.push(
      await spawnGroup(
        'restate-server',
        serverBinary(),
        [
          '--no-logo',
          '--base-dir',
          path.join(workDir, 'data'),
          '--bind-address',
          `127.0.0.1:${ports.fabric}`,
          ...partitions,
        ],
        {
          RESTATE_LISTEN_MODE: 'tcp',
          RESTATE_BIND_IP: '127.0.0.1',
          RESTATE_INGRESS__BIND_ADDRESS: `127.0.0.1:${ports.ingress}`,
          RESTATE_ADMIN__BIND_ADDRESS: `127.0.0.1:${ports.admin}`,
          RESTATE_DISABLE_TELEMETRY: 'true',
        },
        RESTATE_DIR,
        path.join(workDir, 'restate-server.log'),
      ),
    );
    record();
    started.push(
      await spawnGroup(
        'restate-services',
        NODE,
        [path.join(RESTATE_DIR, 'services.mjs'), '--port', String(ports.services)],
        { RESTATE_LOGGING: 'WARN' },
        RESTATE_DIR,
        path.join(workDir, 'services.log'),
      ),
    );
    record();
    const admin = `http://127.0.0.1:${ports.admin}`;
    const ingress = `http://127.0.0.1:${ports.ingress}`;
    await waitFor(
      async () => (await fetch(`${admin}/health`).catch(() => undefined))?.ok === true,
      { what: 'the Restate admin API to answer /health', timeoutMs: 120_000, intervalMs: 250 },
    );
    await waitFor(() => tcpOpen(ports.services), {
      what: 'the Restate services to listen',
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    const registered = await fetch(`${admin}/deployments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ uri: `http://127.0.0.1:${ports.services}` }),
    });
    if (!registered.ok) {
      throw new RestateSetupError(
        `registering the services answered ${registered.status}: ${await registered.text()}`,
      );
    }
    const place = async (key: string, order: PeerOrder): Promise<string> => {
      const response = await fetch(`${ingress}/Order/${encodeURIComponent(key)}/run`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          customerId: order.customerId,
          sku: order.sku,
          qty: order.qty,
          amountCents: order.qty * order.unitPriceCents,
        }),
        signal: AbortSignal.timeout(120_000),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`Restate ingress answered ${response.status}: ${text}`);
      const done = JSON.parse(text) as { status: string; reason?: string };
      return done.status === 'CANCELLED' ? `CANCELLED/${done.reason ?? '?'}` : done.status;
    };
    // The ingress learns the new deployment asynchronously: wait until an order goes through.
    let probe = 0;
    await waitFor(
      () =>
        place(`probe-${Date.now().toString(36)}-${probe++}`, {
          customerId: 'cust-1',
          sku: 'sku-1',
          qty: 1,
          unitPriceCents: 100,
        }).then(
          () => true,
          () => false,
        ),
      { what: 'a first order through the Restate ingress', timeoutMs: 60_000, intervalMs: 250 },
    );
    log(`${configLabel(config)} up: ingress ${ingress}, admin ${admin}`);
    const tree = (pid: number) => () => [...withDescendants(snapshot(), [pid])];
    return {
      label: configLabel(config),
      place,
      cpuSources: started.map((s) => ({ name: s.name, pids: tree(s.pid) })),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
