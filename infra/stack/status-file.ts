/**
 * The status file `<root>/stack/status.json`: the supervisor's memory between invocations and
 * the way chaos scripts find processes. It records what was started (pid, process group, ports,
 * how to launch it again, how to tell it is ready), never the live state, which is read from
 * /proc every time.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export type ProcessKind = 'postgres' | 'nats' | 'service';
/** Last state the supervisor put the process in; `status` compares it with /proc. */
export type RecordedState = 'running' | 'paused' | 'dead' | 'stopped';

const port = z.number().int().min(1).max(65535);

export const readinessSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('http'), url: z.string().min(1) }),
  z.object({ kind: z.literal('tcp'), port, host: z.string().optional() }),
  z.object({ kind: z.literal('log'), pattern: z.string().min(1) }),
  z.object({ kind: z.literal('postgres'), url: z.string(), dataDir: z.string() }),
  z.object({
    kind: z.literal('nats'),
    monitorUrl: z.string().min(1),
    serverName: z.string(),
    cluster: z.boolean(),
  }),
]);
export type Readiness = z.infer<typeof readinessSchema>;

export const launchSchema = z.object({
  command: z.string().min(1),
  args: z.array(z.string()),
  /** Only the variables the stack adds; the rest is inherited from the supervisor. */
  env: z.record(z.string(), z.string()),
  cwd: z.string(),
  uid: z.number().int().optional(),
  gid: z.number().int().optional(),
});
export type Launch = z.infer<typeof launchSchema>;

export const processRecordSchema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/i, 'name: letters, digits, . _ -'),
  kind: z.enum(['postgres', 'nats', 'service']),
  pid: z.number().int().positive(),
  /** Equals pid: every process is started as the leader of its own group. */
  pgid: z.number().int().positive(),
  /** The leader's /proc start time (clock ticks): tells our leader from a reused pid. */
  startTicks: z.number().int().nonnegative().default(0),
  ports: z.record(z.string(), port),
  state: z.enum(['running', 'paused', 'dead', 'stopped']),
  logPath: z.string(),
  dataDir: z.string().nullable(),
  startedAt: z.string(),
  /** A group member is ours only if its /proc cmdline contains one of these. */
  match: z.array(z.string().min(1)).min(1),
  /** Processes carrying one of these in their cmdline belong to it even outside the group. */
  memberMarkers: z.array(z.string().min(1)).default([]),
  launch: launchSchema,
  readiness: readinessSchema,
});
export type ProcessRecord = z.infer<typeof processRecordSchema>;

export const holderSchema = z.object({
  id: z.string(),
  pid: z.number().int().positive(),
  /** /proc start time in clock ticks: with the pid, identifies the process across pid reuse. */
  startTicks: z.number().int().nonnegative(),
  purpose: z.string(),
  since: z.string(),
});
export type Holder = z.infer<typeof holderSchema>;

export const stackStatusSchema = z.object({
  version: z.literal(1),
  root: z.string(),
  nats: z.enum(['cluster', 'single']),
  ports: z.object({
    postgres: z.array(port),
    natsClient: z.array(port),
    natsCluster: z.array(port),
    natsMonitor: z.array(port),
  }),
  /** Started on demand by a test run: the last holder to leave takes it down again. */
  autoStarted: z.boolean(),
  /**
   * `up --chaos`: fault injection is allowed; services the supervisor starts get
   * SEAMLINE_CHAOS=on and the chaos CLI may set fault rules. Absent = off; `down` clears it.
   */
  chaos: z.boolean().optional(),
  holders: z.array(holderSchema),
  processes: z.array(processRecordSchema),
  updatedAt: z.string(),
});
export type StackStatus = z.infer<typeof stackStatusSchema>;

/** Thrown when the file exists but is not a status file we can trust. */
export class StatusFileError extends Error {
  readonly code = 'STATUS_FILE_INVALID';
  constructor(file: string, detail: string, cause?: unknown) {
    super(`${file}: ${detail}`, { cause });
    this.name = 'StatusFileError';
  }
}

/** Parses file text; names the offending field on failure. */
export function parseStatus(text: string, file = 'status.json'): StackStatus {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new StatusFileError(file, 'not valid JSON', error);
  }
  const result = stackStatusSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.join('.') || '(root)';
    throw new StatusFileError(file, `invalid at ${where}: ${issue?.message ?? 'unknown'}`);
  }
  const names = new Set<string>();
  for (const record of result.data.processes) {
    if (names.has(record.name)) throw new StatusFileError(file, `duplicate process ${record.name}`);
    names.add(record.name);
  }
  return result.data;
}

export function serializeStatus(status: StackStatus): string {
  return `${JSON.stringify(status, null, 2)}\n`;
}

/** Undefined when the stack at this root was never started. */
export function readStatusFile(file: string): StackStatus | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseStatus(text, file);
}

/** Write-then-rename, so a reader (a chaos script) never sees a half-written file. */
export function writeStatusFile(file: string, status: StackStatus): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const next: StackStatus = { ...status, updatedAt: new Date().toISOString() };
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, serializeStatus(next));
  fs.renameSync(tmp, file);
  Object.assign(status, { updatedAt: next.updatedAt });
}

export function findRecord(status: StackStatus, name: string): ProcessRecord | undefined {
  return status.processes.find((record) => record.name === name);
}

/** Inserts or replaces the record with the same name, keeping list order stable. */
export function upsertRecord(status: StackStatus, record: ProcessRecord): void {
  const index = status.processes.findIndex((existing) => existing.name === record.name);
  if (index === -1) status.processes.push(record);
  else status.processes[index] = record;
}
