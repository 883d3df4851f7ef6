/**
 * "Ready" means the process answers its real protocol, not that it was spawned: postgres runs
 * `select` on a fresh connection, NATS reports healthy and (clustered) knows its JetStream meta
 * leader. Each probe also checks it reached *our* server (data dir, server name), so a stranger
 * on the port can never pass for ours.
 */
import fs from 'node:fs';
import net from 'node:net';
import pg from 'pg';
import { liveState } from './process-group.ts';
import type { GroupRef } from './process-group.ts';
import type { Readiness } from './status-file.ts';
import { describeError, waitFor } from './wait-for.ts';

/** The process did not become ready; the message ends with the tail of its log. */
export class NotReadyError extends Error {
  readonly code = 'NOT_READY';
  readonly logPath: string;
  constructor(name: string, reason: string, logPath: string, tail: string, cause: unknown) {
    super(`${name} is not ready: ${reason}\n  log: ${logPath}\n${indent(tail)}`, { cause });
    this.name = 'NotReadyError';
    this.logPath = logPath;
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  | ${line}`)
    .join('\n');
}

/** Last `lines` lines of the log written since byte `from`. */
export function logTail(logPath: string, from = 0, lines = 15): string {
  try {
    const text = fs.readFileSync(logPath, 'utf8').slice(from);
    return text.trimEnd().split('\n').slice(-lines).join('\n') || '(log is empty)';
  } catch {
    return '(no log)';
  }
}

const PROBE_TIMEOUT_MS = 2_000;

async function probePostgres(url: string, dataDir: string): Promise<boolean> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: PROBE_TIMEOUT_MS,
    query_timeout: PROBE_TIMEOUT_MS,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    const result = await client.query<{ dir: string }>(
      `select current_setting('data_directory') as dir`,
    );
    const dir = result.rows[0]?.dir;
    if (dir !== dataDir) throw new Error(`port answered by another postgres (data dir ${dir})`);
    return true;
  } finally {
    await client.end().catch(() => {});
  }
}

async function getJson(url: string): Promise<Record<string, unknown>> {
  const response = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

async function probeNats(monitorUrl: string, serverName: string, cluster: boolean) {
  // JetStream up, not every stream current: a stream that an interrupted run left in the data
  // dir can stay "not current" on nats-server 2.9.10 for good, and the next `stack up` would never
  // be ready. What the services need is JetStream and (in a cluster) a meta leader, checked below;
  // the streams they create themselves are theirs to wait for.
  await getJson(`${monitorUrl}/healthz?js-enabled-only=true`);
  const varz = await getJson(`${monitorUrl}/varz`);
  if (varz.server_name !== serverName) {
    throw new Error(`monitor port answered by server ${String(varz.server_name)}`);
  }
  if (!cluster) return true;
  const jsz = await getJson(`${monitorUrl}/jsz`);
  const meta = jsz.meta_cluster as { leader?: string } | undefined;
  if (!meta?.leader) throw new Error('JetStream meta leader not known yet');
  return true;
}

async function probeHttp(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return true;
}

function probeTcp(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host, timeout: PROBE_TIMEOUT_MS });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error(`connect to ${host}:${port} timed out`));
    });
    socket.once('error', reject);
  });
}

function probeLog(logPath: string, from: number, pattern: string): boolean {
  const text = fs.readFileSync(logPath, 'utf8').slice(from);
  if (!new RegExp(pattern, 'm').test(text))
    throw new Error(`log has no line matching /${pattern}/`);
  return true;
}

/** One attempt; throws (or returns false) while not ready. */
export function probe(readiness: Readiness, logPath: string, logOffset: number): Promise<boolean> {
  switch (readiness.kind) {
    case 'postgres':
      return probePostgres(readiness.url, readiness.dataDir);
    case 'nats':
      return probeNats(readiness.monitorUrl, readiness.serverName, readiness.cluster);
    case 'http':
      return probeHttp(readiness.url);
    case 'tcp':
      return probeTcp(readiness.port, readiness.host);
    case 'log':
      return Promise.resolve(probeLog(logPath, logOffset, readiness.pattern));
  }
}

export interface ReadyTarget extends GroupRef {
  readiness: Readiness;
  logPath: string;
}

/**
 * Polls until ready. Fails fast if the process dies meanwhile, and otherwise at the deadline;
 * both errors carry the log path and its tail since `logOffset` (this start's output).
 */
export async function waitReady(target: ReadyTarget, timeoutMs: number, logOffset = 0) {
  try {
    await waitFor(() => probe(target.readiness, target.logPath, logOffset), {
      what: `${target.name} (${target.readiness.kind} readiness)`,
      timeoutMs,
      intervalMs: 150,
      abortIf: () => (liveState(target) === 'dead' ? 'the process exited' : undefined),
    });
  } catch (error) {
    const tail = logTail(target.logPath, logOffset);
    throw new NotReadyError(target.name, describeError(error), target.logPath, tail, error);
  }
}
