import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** `cluster` = 3 JetStream nodes with routes (the real topology); `single` = one node, faster. */
export type NatsMode = 'cluster' | 'single';

/** First port of each range; instance N (1-based) listens on `base + N - 1`. */
export interface PortBase {
  /** @default 54331 */
  postgres: number;
  /** NATS client port. @default 44221 */
  natsClient: number;
  /** NATS route (cluster) port. @default 46221 */
  natsCluster: number;
  /** NATS HTTP monitor port (`/healthz`, `/jsz`). @default 48221 */
  natsMonitor: number;
}

/** Concrete ports of one stack, one entry per instance (index 0 = instance 1). */
export interface PortPlan {
  postgres: number[];
  natsClient: number[];
  natsCluster: number[];
  natsMonitor: number[];
}

export interface StackOptions {
  /** Directory holding data dirs, logs and the status file. @default `<repo>/.seamline` */
  root?: string;
  /** Added to every port, so a second stack can run beside the default one. @default 0 */
  offset?: number;
  /** Overrides the first port of a range (the offset is still added). @default DEFAULT_PORT_BASE */
  portBase?: Partial<PortBase>;
  /** NATS topology for `up`. @default the running stack's mode, else 'cluster' */
  nats?: NatsMode;
  /** Receives one line per progress step. @default no output */
  log?: (line: string) => void;
  /** Deadline for one process to become ready after it was spawned. @default 90_000 */
  readyTimeoutMs?: number;
  /** Deadline for a graceful stop before SIGKILL. @default 20_000 */
  stopTimeoutMs?: number;
  /** Install missing binaries with apt-get when running as root on Debian. @default true */
  install?: boolean;
}

export interface ResolvedOptions {
  root: string;
  ports: PortPlan;
  /** Undefined when the caller did not choose: an existing stack keeps its mode. */
  nats: NatsMode | undefined;
  log: (line: string) => void;
  readyTimeoutMs: number;
  stopTimeoutMs: number;
  install: boolean;
}

export const POSTGRES_INSTANCES = 3;
export const NATS_CLUSTER_SIZE = 3;

export const DEFAULT_PORT_BASE: Readonly<PortBase> = Object.freeze({
  postgres: 54331,
  natsClient: 44221,
  natsCluster: 46221,
  natsMonitor: 48221,
});

/** The repository checkout this file lives in (infra/stack/ is two levels down). */
export const REPO_ROOT = path.resolve(fileURLToPath(new URL('../../', import.meta.url)));

export const DEFAULT_ROOT = path.join(REPO_ROOT, '.seamline');

/** Validates once and fills defaults; a bad value fails naming the field. */
export function resolveOptions(options: StackOptions = {}): ResolvedOptions {
  const offset = options.offset ?? 0;
  if (!Number.isInteger(offset)) throw new TypeError(`stack option offset must be an integer`);
  const base: PortBase = { ...DEFAULT_PORT_BASE, ...options.portBase };
  const ports: PortPlan = {
    postgres: range(base.postgres + offset, POSTGRES_INSTANCES),
    natsClient: range(base.natsClient + offset, NATS_CLUSTER_SIZE),
    natsCluster: range(base.natsCluster + offset, NATS_CLUSTER_SIZE),
    natsMonitor: range(base.natsMonitor + offset, NATS_CLUSTER_SIZE),
  };
  for (const [field, list] of Object.entries(ports) as [string, number[]][]) {
    for (const port of list) {
      if (!Number.isInteger(port) || port < 1024 || port > 65535) {
        throw new RangeError(
          `stack option portBase.${field} (+ offset) gives invalid port ${port}`,
        );
      }
    }
  }
  if (options.nats !== undefined && options.nats !== 'cluster' && options.nats !== 'single') {
    throw new TypeError(`stack option nats must be 'cluster' or 'single', got ${options.nats}`);
  }
  return {
    root: path.resolve(options.root ?? DEFAULT_ROOT),
    ports,
    nats: options.nats,
    log: options.log ?? (() => {}),
    readyTimeoutMs: positive('readyTimeoutMs', options.readyTimeoutMs ?? 90_000),
    stopTimeoutMs: positive('stopTimeoutMs', options.stopTimeoutMs ?? 20_000),
    install: options.install ?? true,
  };
}

function range(first: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => first + i);
}

function positive(field: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`stack option ${field} must be > 0`);
  return value;
}

/** Paths of one stack root; every file the supervisor writes lives under it. */
export function stackPaths(root: string) {
  return {
    root,
    logs: path.join(root, 'logs'),
    stackDir: path.join(root, 'stack'),
    statusFile: path.join(root, 'stack', 'status.json'),
    lockFile: path.join(root, 'stack', 'lock'),
    logFile: (name: string) => path.join(root, 'logs', `${name}.log`),
    postgresDir: (index: number) => path.join(postgresHome(root), `pg-${index}`),
    natsDir: (index: number, mode: NatsMode) =>
      path.join(root, mode === 'single' ? 'nats-single' : `nats-${index}`),
  };
}

/**
 * Where the PostgreSQL instance directories live. Under the stack root, unless we are root and
 * the `postgres` OS user, which runs them, cannot reach the root (a checkout below a 0700
 * directory such as /root or a `mktemp -d` one): then in /var/tmp/seamline-<hash of the root>,
 * so each stack still keeps its own. Everything else (status, logs, NATS) stays under the root:
 * the supervisor, not postgres, opens the log files.
 */
export function postgresHome(root: string): string {
  const resolved = path.resolve(root);
  if (process.getuid?.() !== 0 || othersCanReach(resolved)) return resolved;
  const id = createHash('sha1').update(resolved).digest('hex').slice(0, 12);
  return path.join('/var/tmp', `seamline-${id}`);
}

function othersCanReach(dir: string): boolean {
  for (let d = path.dirname(dir); d !== path.dirname(d); d = path.dirname(d)) {
    if (fs.existsSync(d) && (fs.statSync(d).mode & 0o001) === 0) return false;
  }
  return true;
}

export function samePorts(a: PortPlan, b: PortPlan): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
