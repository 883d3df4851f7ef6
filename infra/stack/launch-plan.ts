import type { Launch, ProcessKind, Readiness } from './status-file.ts';

/**
 * Everything needed to (re)start one process: what the status file records about it, plus an
 * optional preparation step run before every start (initdb, config rendering, stale lock files).
 */
export interface LaunchPlan {
  name: string;
  kind: ProcessKind;
  launch: Launch;
  ports: Record<string, number>;
  logPath: string;
  dataDir: string | null;
  match: string[];
  /** @default [] */
  memberMarkers?: string[];
  readiness: Readiness;
  prepare?: () => Promise<void>;
}

/** Owner for files the process writes: the postgres OS user when the supervisor runs as root. */
export interface RunAs {
  uid: number;
  gid: number;
}
