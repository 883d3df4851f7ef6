/**
 * Which `.cpuprofile` belongs to which service. `node --cpu-prof` names its files
 * `CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile`; the bench knows each service's pids from
 * the stack's status, so the pid in the name says whose profile it is. Thread 0 is the main
 * thread (the event loop); other threads (a module loader's hooks) are kept on disk but not
 * drawn.
 */

export interface ProfileFileName {
  readonly pid: number;
  readonly thread: number;
}

const NAME = /^CPU\.\d{8}\.\d{6}\.(\d+)\.(\d+)\.\d+\.cpuprofile$/;

/** Undefined for a file `--cpu-prof` did not name. */
export function parseProfileFileName(file: string): ProfileFileName | undefined {
  const match = NAME.exec(file);
  return match ? { pid: Number(match[1]), thread: Number(match[2]) } : undefined;
}

export interface ServiceProfiles {
  /** Main-thread profiles per service, in the order of their files (a restarted service has two). */
  readonly byService: ReadonlyMap<string, string[]>;
  /** Files of no known pid, or of another thread. */
  readonly unassigned: string[];
}

export function assignProfiles(
  files: readonly string[],
  serviceByPid: ReadonlyMap<number, string>,
): ServiceProfiles {
  const byService = new Map<string, string[]>();
  const unassigned: string[] = [];
  for (const file of [...files].sort()) {
    const name = parseProfileFileName(file);
    const service = name && name.thread === 0 ? serviceByPid.get(name.pid) : undefined;
    if (service === undefined) {
      unassigned.push(file);
      continue;
    }
    byService.set(service, [...(byService.get(service) ?? []), file]);
  }
  return { byService, unassigned };
}
