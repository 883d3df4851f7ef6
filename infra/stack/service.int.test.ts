/**
 * Service processes under the supervisor, on a private root (no postgres or NATS needed).
 * Hunts: signals that reach the leader but not its children, a pause that still answers, a
 * restart that forgets the spec, a second start that spawns a duplicate, readiness that waits
 * out its deadline on a crashed process or hides the log, and a signal sent to a process that
 * merely reuses a recorded pid.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  NotReadyError,
  readStatus,
  restartProcess,
  signalProcess,
  startService,
  stopService,
} from './index.ts';
import type { ServiceSpec, StackOptions } from './index.ts';
import { members } from './process-group.ts';
import { isAlive, readStat } from './process-table.ts';
import { readStatusFile, upsertRecord, writeStatusFile } from './status-file.ts';

const fixture = path.join(import.meta.dirname, 'fixtures', 'tiny-service.ts');
let root: string;
let options: StackOptions;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function tinySpec(name: string, env: Record<string, string> = {}): Promise<ServiceSpec> {
  const port = await freePort();
  return {
    name,
    command: process.execPath,
    args: [fixture],
    env: { PORT: String(port), ...env },
    ports: { http: port },
    readiness: { kind: 'http', url: `http://127.0.0.1:${port}/` },
  };
}

async function answers(url: string, timeoutMs = 1_000): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.text();
    return response.ok;
  } catch {
    return false;
  }
}

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'seamline-svc-'));
  options = { root, stopTimeoutMs: 5_000, readyTimeoutMs: 20_000 };
});

afterAll(async () => {
  const view = readStatus(options);
  for (const record of view.processes) await stopService(record.name, options);
  fs.rmSync(root, { recursive: true, force: true });
});

describe('service processes', () => {
  it('starts a service, waits for its http readiness and records its spec', async () => {
    const spec = await tinySpec('svc-a', { WITH_CHILD: '1' });
    const record = await startService(spec, options);
    expect(await answers(spec.readiness.kind === 'http' ? spec.readiness.url : '')).toBe(true);
    expect(record.pgid).toBe(record.pid);
    expect(readStat(record.pid)?.pgrp).toBe(record.pid);
    const stored = readStatus(options).processes.find((p) => p.name === 'svc-a');
    expect(stored?.launch.env.PORT).toBe(spec.env?.PORT);
    expect(stored?.live).toBe('running');
  });

  it('a second start with the same spec keeps the running process', async () => {
    const before = readStatus(options).processes.find((p) => p.name === 'svc-a')!;
    const spec: ServiceSpec = {
      name: 'svc-a',
      command: process.execPath,
      args: before.launch.args,
      env: before.launch.env,
      ports: before.ports,
      readiness: { kind: 'http', url: `http://127.0.0.1:${before.ports.http}/` },
    };
    const again = await startService(spec, options);
    expect(again.pid).toBe(before.pid);
  });

  it('pause stops the service and its child (state T) so requests hang; resume answers again', async () => {
    const record = readStatus(options).processes.find((p) => p.name === 'svc-a')!;
    const url = `http://127.0.0.1:${record.ports.http}/`;
    await signalProcess('svc-a', 'pause', options);
    const group = members(record);
    expect(group.length).toBe(2); // node + its sleep child
    expect(group.every((member) => readStat(member.pid)?.state === 'T')).toBe(true);
    expect(await answers(url, 500)).toBe(false);
    expect(readStatus(options).processes.find((p) => p.name === 'svc-a')?.live).toBe('paused');
    await signalProcess('svc-a', 'resume', options);
    expect(await answers(url)).toBe(true);
  });

  it('kill takes down the whole group; restart re-uses the recorded spec', async () => {
    const before = readStatus(options).processes.find((p) => p.name === 'svc-a')!;
    const group = members(before).map((member) => member.pid);
    await signalProcess('svc-a', 'kill', options);
    expect(group.filter(isAlive)).toEqual([]);
    expect(readStatus(options).processes.find((p) => p.name === 'svc-a')?.live).toBe('dead');
    const after = await restartProcess('svc-a', options);
    expect(after.pid).not.toBe(before.pid);
    expect(after.launch).toEqual(before.launch);
    expect(await answers(`http://127.0.0.1:${before.ports.http}/`)).toBe(true);
  });

  it('supports log and tcp readiness', async () => {
    const logSpec = await tinySpec('svc-log');
    const port = logSpec.ports!.http!;
    await startService(
      { ...logSpec, readiness: { kind: 'log', pattern: /listening on \d+/ } },
      options,
    );
    expect(await answers(`http://127.0.0.1:${port}/`)).toBe(true);
    const tcpSpec = await tinySpec('svc-tcp');
    const tcpPort = tcpSpec.ports!.http!;
    await startService({ ...tcpSpec, readiness: { kind: 'tcp', port: tcpPort } }, options);
    expect(await answers(`http://127.0.0.1:${tcpPort}/`)).toBe(true);
  });

  it('a service that crashes at start fails fast with its log path and output', async () => {
    const spec = await tinySpec('svc-crash', { CRASH: '1' });
    const started = Date.now();
    const error = await startService(spec, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotReadyError);
    expect((error as Error).message).toContain(path.join(root, 'logs', 'svc-crash.log'));
    expect((error as Error).message).toContain('configured to crash at start');
    expect(Date.now() - started).toBeLessThan(10_000);
    await stopService('svc-crash', options);
  });

  it('stopService ends the group and forgets the record', async () => {
    const record = readStatus(options).processes.find((p) => p.name === 'svc-log')!;
    expect(await stopService('svc-log', options)).toBe('stopped');
    expect(isAlive(record.pid)).toBe(false);
    expect(readStatus(options).processes.some((p) => p.name === 'svc-log')).toBe(false);
    expect(await stopService('svc-log', options)).toBe('absent');
  });

  it('never signals a process that only reuses a recorded pid', async () => {
    // A stranger in its own group, recorded under our name with markers it does not carry.
    const stranger = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    stranger.unref();
    try {
      const file = path.join(root, 'stack', 'status.json');
      const status = readStatusFile(file)!;
      const template = status.processes.find((p) => p.name === 'svc-a')!;
      upsertRecord(status, {
        ...template,
        name: 'impostor',
        pid: stranger.pid!,
        pgid: stranger.pid!,
      });
      writeStatusFile(file, status);
      await signalProcess('impostor', 'kill', options);
      await expect(signalProcess('impostor', 'pause', options)).rejects.toThrow(/not running/);
      expect(readStat(stranger.pid!)?.state).toMatch(/[SR]/);
      expect(readStatus(options).processes.find((p) => p.name === 'impostor')?.live).toBe('dead');
    } finally {
      stranger.kill('SIGKILL');
      const file = path.join(root, 'stack', 'status.json');
      const status = readStatusFile(file)!;
      status.processes = status.processes.filter((p) => p.name !== 'impostor');
      writeStatusFile(file, status);
    }
  });
});
