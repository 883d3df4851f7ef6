/**
 * Finds the machine's PostgreSQL and NATS server binaries. The stack runs them directly (no
 * containers) so a test can pause or kill the real process; installing them is the only thing
 * that needs the package manager, and only when they are missing.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface PostgresBinaries {
  /** Directory holding both `postgres` and `initdb` of the same version. */
  binDir: string;
  postgres: string;
  initdb: string;
  /** Major version, compared with a data dir's PG_VERSION. */
  major: number;
}

export interface Binaries {
  postgres: PostgresBinaries;
  natsServer: string;
}

/** Binaries are missing and could not (or may not) be installed; names the package. */
export class MissingBinaryError extends Error {
  readonly code = 'MISSING_BINARY';
  constructor(binary: string, pkg: string) {
    super(`${binary} not found on PATH or in the usual directories; install the ${pkg} package`);
    this.name = 'MissingBinaryError';
  }
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string, extraDirs: string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...extraDirs];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return fs.realpathSync(candidate);
  }
  return undefined;
}

/** Version directories under /usr/lib/postgresql, highest first ("16" before "9.6"). */
export function sortVersionDirs(names: string[]): string[] {
  const key = (name: string) => name.split('.').map(Number);
  return names
    .filter((name) => /^\d+(\.\d+)?$/.test(name))
    .sort((a, b) => {
      const [x, y] = [key(a), key(b)];
      return (y[0] ?? 0) - (x[0] ?? 0) || (y[1] ?? 0) - (x[1] ?? 0);
    });
}

function findPostgres(): PostgresBinaries | undefined {
  const candidates: string[] = [];
  // A `postgres` on PATH (Debian symlinks point into /usr/lib/postgresql/N/bin) wins.
  const fromPath = onPath('postgres');
  if (fromPath) candidates.push(path.dirname(fromPath));
  const libDir = '/usr/lib/postgresql';
  if (fs.existsSync(libDir)) {
    for (const version of sortVersionDirs(fs.readdirSync(libDir))) {
      candidates.push(path.join(libDir, version, 'bin'));
    }
  }
  for (const binDir of candidates) {
    const postgres = path.join(binDir, 'postgres');
    const initdb = path.join(binDir, 'initdb');
    if (isExecutable(postgres) && isExecutable(initdb)) {
      return { binDir, postgres, initdb, major: postgresMajor(postgres) };
    }
  }
  return undefined;
}

/** `postgres (PostgreSQL) 15.20 (Debian ...)` -> 15 (9.6 -> 9.6 is not supported anyway). */
export function parsePostgresVersion(output: string): number {
  const match = /\(PostgreSQL\)\s+(\d+)/.exec(output);
  if (!match?.[1]) throw new Error(`unrecognised postgres --version output: ${output.trim()}`);
  return Number(match[1]);
}

function postgresMajor(postgres: string): number {
  return parsePostgresVersion(execFileSync(postgres, ['--version'], { encoding: 'utf8' }));
}

function findNats(): string | undefined {
  return onPath('nats-server', ['/usr/sbin', '/usr/local/sbin', '/usr/local/bin']);
}

function canInstall(): boolean {
  return process.getuid?.() === 0 && fs.existsSync('/etc/debian_version') && !!onPath('apt-get');
}

/** Runs apt-get with its progress streamed to our stderr. */
async function aptInstall(packages: string[], log: (line: string) => void): Promise<void> {
  log(`installing ${packages.join(' ')} with apt-get (missing binaries)`);
  const script = `apt-get update && apt-get install -y ${packages.join(' ')}`;
  const child = spawn('sh', ['-c', script], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`"${script}" failed with exit code ${code}`);
}

/**
 * Locates both servers, installing the missing ones on Debian as root when `install` is set;
 * otherwise fails naming the package to install.
 */
export async function ensureBinaries(
  install: boolean,
  log: (line: string) => void,
): Promise<Binaries> {
  let postgres = findPostgres();
  let natsServer = findNats();
  const missing = [...(postgres ? [] : ['postgresql']), ...(natsServer ? [] : ['nats-server'])];
  if (missing.length > 0 && install && canInstall()) {
    await aptInstall(missing, log);
    postgres = findPostgres();
    natsServer = findNats();
  }
  if (!postgres) throw new MissingBinaryError('postgres/initdb', 'postgresql');
  if (!natsServer) throw new MissingBinaryError('nats-server', 'nats-server');
  return { postgres, natsServer };
}
