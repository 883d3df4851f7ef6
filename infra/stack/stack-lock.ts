/**
 * One writer at a time per stack root. Helpers, test runs and chaos scripts drive the same
 * stack from different processes; without a lock two `up`s would both spawn pg-1 and the loser
 * would fail on the port. A lock file created with O_EXCL serializes processes; a promise chain
 * serializes concurrent calls inside one process (the file lock is not re-entrant).
 */
import fs from 'node:fs';
import path from 'node:path';
import { isAlive, readStat } from './process-table.ts';
import { waitFor } from './wait-for.ts';

const inProcess = new Map<string, Promise<unknown>>();

export interface LockOptions {
  /** How long to wait for another holder. @default 600_000 */
  timeoutMs?: number;
  /** Called once if we have to wait, with the holder's description. */
  onWait?: (holder: string) => void;
}

/** Runs `fn` while holding the lock at `lockFile`. */
export async function withStackLock<T>(
  lockFile: string,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const previous = inProcess.get(lockFile) ?? Promise.resolve();
  const run = previous
    .catch(() => {})
    .then(async () => {
      await acquire(lockFile, options);
      try {
        return await fn();
      } finally {
        release(lockFile);
      }
    });
  inProcess.set(lockFile, run);
  try {
    return await run;
  } finally {
    if (inProcess.get(lockFile) === run) inProcess.delete(lockFile);
  }
}

interface LockContent {
  pid: number;
  startTicks: number;
  since: string;
}

function ownContent(): string {
  const content: LockContent = {
    pid: process.pid,
    startTicks: readStat(process.pid)?.startTicks ?? 0,
    since: new Date().toISOString(),
  };
  return JSON.stringify(content);
}

async function acquire(lockFile: string, options: LockOptions): Promise<void> {
  fs.mkdirSync(path.dirname(lockFile), { recursive: true });
  let reported = false;
  await waitFor(
    () => {
      try {
        fs.writeFileSync(lockFile, ownContent(), { flag: 'wx' });
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = readHolder(lockFile);
      if (holder === undefined) return false;
      if (holderIsGone(holder.content)) {
        removeIfUnchanged(lockFile, holder.text);
        return false;
      }
      if (!reported) {
        reported = true;
        options.onWait?.(`pid ${holder.content.pid} since ${holder.content.since}`);
      }
      return false;
    },
    {
      what: `the stack lock ${lockFile}`,
      timeoutMs: options.timeoutMs ?? 600_000,
      intervalMs: 100,
    },
  );
}

function readHolder(lockFile: string): { text: string; content: LockContent } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(lockFile, 'utf8');
  } catch {
    return undefined; // released between our create attempt and this read
  }
  try {
    return { text, content: JSON.parse(text) as LockContent };
  } catch {
    // A crash between create and write leaves an empty file; treat it as abandoned.
    return { text, content: { pid: 0, startTicks: 0, since: '?' } };
  }
}

function holderIsGone(content: LockContent): boolean {
  if (!Number.isInteger(content.pid) || content.pid <= 0 || !isAlive(content.pid)) return true;
  return readStat(content.pid)?.startTicks !== content.startTicks;
}

/** Narrows the stale-lock race: only delete the exact content we judged stale. */
function removeIfUnchanged(lockFile: string, staleText: string): void {
  try {
    if (fs.readFileSync(lockFile, 'utf8') === staleText) fs.unlinkSync(lockFile);
  } catch {
    // already gone
  }
}

function release(lockFile: string): void {
  try {
    const content = JSON.parse(fs.readFileSync(lockFile, 'utf8')) as LockContent;
    if (content.pid === process.pid) fs.unlinkSync(lockFile);
  } catch {
    // nothing to release
  }
}
