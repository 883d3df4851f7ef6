/**
 * One PostgreSQL instance of the stack: its own data dir (initdb'd on first start), its own
 * port on loopback, its own unix socket dir, run as the `postgres` OS user when we are root
 * (postgres refuses to run as root). Settings live in a rendered `seamline.conf` included from
 * postgresql.conf, so a change of ports takes effect at the next start.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { PostgresBinaries } from './binaries.ts';
import type { LaunchPlan, RunAs } from './launch-plan.ts';
import { isAlive, readCmdline } from './process-table.ts';

export interface PostgresInstanceConfig {
  /** `pg-1`, `pg-2`, ... */
  name: string;
  port: number;
  /** `<root>/pg-N`: holds `data/` and the unix socket. */
  instanceDir: string;
  logPath: string;
  binaries: PostgresBinaries;
  runAs: RunAs | undefined;
}

export const POSTGRES_USER = 'postgres';

export function postgresUrl(port: number, database = 'postgres'): string {
  return `postgres://${POSTGRES_USER}@127.0.0.1:${port}/${database}`;
}

/** Shows in every backend's process title, so orphaned backends are still recognisably ours. */
export function clusterName(name: string, port: number): string {
  return `seamline-${name}-${port}`;
}

/** The settings the stack owns; durability stays on because the tests prove durability. */
export function postgresSettings(config: { name: string; port: number; socketDir: string }) {
  return {
    listen_addresses: '127.0.0.1',
    port: config.port,
    unix_socket_directories: config.socketDir,
    max_connections: 300,
    shared_buffers: '64MB',
    fsync: 'on',
    synchronous_commit: 'on',
    full_page_writes: 'on',
    cluster_name: clusterName(config.name, config.port),
    logging_collector: 'off',
    log_destination: 'stderr',
    log_line_prefix: '%m [%p] %q%u@%d ',
  } satisfies Record<string, string | number>;
}

/** postgresql.conf syntax: strings single-quoted with '' escaping, numbers bare. */
export function renderPostgresConf(settings: Record<string, string | number>): string {
  const lines = Object.entries(settings).map(([key, value]) =>
    typeof value === 'number' ? `${key} = ${value}` : `${key} = '${value.replaceAll("'", "''")}'`,
  );
  return `# Written by infra/stack before every start; edits are overwritten.\n${lines.join('\n')}\n`;
}

/** uid/gid of `user` from passwd-format text. */
export function parsePasswd(text: string, user: string): RunAs | undefined {
  for (const line of text.split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name === user && uid && gid) return { uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

/** Undefined when not root: postgres then runs as whoever runs the supervisor. */
export function postgresRunAs(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const runAs = parsePasswd(fs.readFileSync('/etc/passwd', 'utf8'), POSTGRES_USER);
  if (!runAs) {
    throw new Error(
      `running as root but there is no "${POSTGRES_USER}" OS user to run postgres as`,
    );
  }
  return runAs;
}

function chownTo(target: string, runAs: RunAs | undefined): void {
  if (runAs) fs.chownSync(target, runAs.uid, runAs.gid);
}

async function runInitdb(config: PostgresInstanceConfig, target: string): Promise<void> {
  const log = fs.openSync(config.logPath, 'a');
  try {
    const child = spawn(
      config.binaries.initdb,
      ['-D', target, '-U', POSTGRES_USER, '--auth=trust', '-E', 'UTF8', '--locale=C'],
      {
        cwd: config.instanceDir,
        stdio: ['ignore', log, log],
        ...(config.runAs ?? {}),
      },
    );
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', resolve);
    });
    if (code !== 0) {
      throw new Error(`initdb for ${config.name} failed (exit ${code}); see ${config.logPath}`);
    }
  } finally {
    fs.closeSync(log);
  }
}

/** A postmaster.pid whose pid is dead or a zombie (init never reaps here) would block start. */
function clearStalePidFile(dataDir: string): void {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  let pid: number | undefined;
  try {
    pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  } catch {
    pid = undefined;
  }
  if (pid !== undefined && isAlive(pid) && readCmdline(pid).includes(dataDir)) {
    throw new Error(`a postmaster (pid ${pid}) is already running on ${dataDir}`);
  }
  fs.rmSync(pidFile, { force: true });
  // The socket lock file names the same (now dead or zombie) postmaster and blocks start too.
  for (const name of fs.readdirSync(path.dirname(dataDir))) {
    if (/^\.s\.PGSQL\.\d+\.lock$/.test(name))
      fs.rmSync(path.join(path.dirname(dataDir), name), { force: true });
  }
}

/** Creates the data dir on first start (atomically: initdb into a temp dir, then rename). */
export async function preparePostgres(config: PostgresInstanceConfig): Promise<void> {
  const dataDir = path.join(config.instanceDir, 'data');
  const socketPath = path.join(config.instanceDir, `.s.PGSQL.${config.port}`);
  if (Buffer.byteLength(socketPath) > 107) {
    throw new Error(`stack root too long: unix socket path ${socketPath} exceeds 107 bytes`);
  }
  fs.mkdirSync(config.instanceDir, { recursive: true, mode: 0o755 });
  chownTo(config.instanceDir, config.runAs);
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    const staging = `${dataDir}.initdb`;
    fs.rmSync(staging, { recursive: true, force: true });
    await runInitdb(config, staging);
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.renameSync(staging, dataDir);
  }
  const version = Number(fs.readFileSync(path.join(dataDir, 'PG_VERSION'), 'utf8').trim());
  if (version !== config.binaries.major) {
    throw new Error(
      `${dataDir} was created by PostgreSQL ${version} but the binaries are ${config.binaries.major}; ` +
        `remove ${config.instanceDir} or install PostgreSQL ${version}`,
    );
  }
  const settings = postgresSettings({ ...config, socketDir: config.instanceDir });
  const confPath = path.join(dataDir, 'seamline.conf');
  fs.writeFileSync(confPath, renderPostgresConf(settings));
  chownTo(confPath, config.runAs);
  const mainConf = path.join(dataDir, 'postgresql.conf');
  const include = `include 'seamline.conf'`;
  if (!fs.readFileSync(mainConf, 'utf8').includes(include)) {
    fs.appendFileSync(mainConf, `\n${include}\n`);
  }
  clearStalePidFile(dataDir);
}

export function postgresPlan(config: PostgresInstanceConfig): LaunchPlan {
  const dataDir = path.join(config.instanceDir, 'data');
  return {
    name: config.name,
    kind: 'postgres',
    launch: {
      command: config.binaries.postgres,
      args: ['-D', dataDir],
      env: {},
      cwd: config.instanceDir,
      ...(config.runAs ?? {}),
    },
    ports: { port: config.port },
    logPath: config.logPath,
    dataDir,
    match: [dataDir, clusterName(config.name, config.port)],
    // Backend titles read "postgres: <cluster_name>: ..." even after the postmaster is gone.
    memberMarkers: [`postgres: ${clusterName(config.name, config.port)}:`],
    readiness: { kind: 'postgres', url: postgresUrl(config.port), dataDir },
    prepare: () => preparePostgres(config),
  };
}
