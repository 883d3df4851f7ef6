/**
 * A locked read-modify-write of one stack's status file. Every command that changes the stack
 * runs inside a session, so concurrent supervisors (a test run, a helper's `up`, a chaos script)
 * see each other's records instead of racing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { resolveOptions, stackPaths } from './options.ts';
import type { ResolvedOptions, StackOptions } from './options.ts';
import { withStackLock } from './stack-lock.ts';
import { readStatusFile, writeStatusFile } from './status-file.ts';
import type { StackStatus } from './status-file.ts';

export interface Session {
  opts: ResolvedOptions;
  paths: ReturnType<typeof stackPaths>;
  status: StackStatus;
  /** True when the status file did not exist before this session. */
  fresh: boolean;
  /** Persist `status` now (called after every spawn, so a crash mid-`up` leaves a usable record). */
  save(): void;
}

export function emptyStatus(opts: ResolvedOptions): StackStatus {
  return {
    version: 1,
    root: opts.root,
    nats: opts.nats ?? 'cluster',
    ports: opts.ports,
    autoStarted: false,
    holders: [],
    processes: [],
    updatedAt: new Date().toISOString(),
  };
}

/**
 * Creates the root so the postgres OS user can traverse it (mkdtemp makes 0700 dirs). When an
 * ancestor keeps postgres out anyway, its instance dirs live elsewhere (`postgresHome`).
 */
export function ensureRoot(root: string): void {
  fs.mkdirSync(path.join(root, 'logs'), { recursive: true });
  fs.mkdirSync(path.join(root, 'stack'), { recursive: true });
  if (process.getuid?.() !== 0) return;
  for (const dir of [root, path.join(root, 'logs')]) {
    const mode = fs.statSync(dir).mode;
    if ((mode & 0o005) !== 0o005) fs.chmodSync(dir, mode | 0o005);
  }
}

export async function withSession<T>(
  options: StackOptions | ResolvedOptions,
  fn: (session: Session) => Promise<T>,
): Promise<T> {
  const opts = 'ports' in options ? options : resolveOptions(options);
  const paths = stackPaths(opts.root);
  ensureRoot(opts.root);
  return withStackLock(
    paths.lockFile,
    async () => {
      const existing = readStatusFile(paths.statusFile);
      const status = existing ?? emptyStatus(opts);
      const session: Session = {
        opts,
        paths,
        status,
        fresh: existing === undefined,
        save: () => writeStatusFile(paths.statusFile, status),
      };
      return fn(session);
    },
    { onWait: (holder) => opts.log(`waiting for the stack lock held by ${holder}`) },
  );
}
