/**
 * The whole topology on a private root and ports (+1000), so the shared stack is never touched.
 * Hunts: an `up` that returns before every server answers, or respawns what is running; a pause
 * that stops the postmaster but leaves backends answering; a kill that leaves orphan backends so
 * the restart fails or loses committed data; a NATS node that does not rejoin its cluster; a
 * `down` that leaves anything of ours alive or touches the machine's own servers.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  endpoints,
  readStatus,
  restartProcess,
  signalProcess,
  stackDown,
  stackUp,
  waitFor,
} from './index.ts';
import type { ProcessView, StackOptions } from './index.ts';
import { isAlive, processesMatching, readCmdline, readStat, snapshot } from './process-table.ts';

let root: string;
let options: StackOptions;

const record = (name: string): ProcessView => {
  const found = readStatus(options).processes.find((p) => p.name === name);
  if (!found) throw new Error(`no record ${name}`);
  return found;
};

/** The postmaster and every process it forked (backends leave its process group). */
function postgresTree(name: string): number[] {
  const { pid } = record(name);
  return [
    pid,
    ...snapshot()
      .filter((stat) => stat.ppid === pid)
      .map((stat) => stat.pid),
  ];
}

async function query<T extends pg.QueryResultRow>(
  url: string,
  sql: string,
  params: unknown[] = [],
) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', timeout: 1_000 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'seamline-stack-'));
  options = { root, offset: 1000, nats: 'cluster', stopTimeoutMs: 15_000 };
});

afterAll(async () => {
  await stackDown(options);
  fs.rmSync(root, { recursive: true, force: true });
});

describe('topology supervisor', () => {
  it('up brings three postgres and three nats nodes to ready; a second up is a no-op', async () => {
    const first = await stackUp(options);
    expect([...first.started].sort()).toEqual([
      'nats-1',
      'nats-2',
      'nats-3',
      'pg-1',
      'pg-2',
      'pg-3',
    ]);
    const view = readStatus(options);
    expect(view.up).toBe(true);
    expect(view.processes.every((p) => p.pgid === p.pid && readStat(p.pid)?.pgrp === p.pid)).toBe(
      true,
    );
    const stack = endpoints(options);
    expect(stack.postgres.map((p) => p.port)).toEqual([55331, 55332, 55333]);
    for (const { url } of stack.postgres) {
      expect(await query<{ one: number }>(url, 'select 1 as one')).toEqual([{ one: 1 }]);
    }
    expect(stack.nats).toEqual([
      'nats://127.0.0.1:45221',
      'nats://127.0.0.1:45222',
      'nats://127.0.0.1:45223',
    ]);
    const jsz = (await (await fetch('http://127.0.0.1:49222/jsz')).json()) as {
      meta_cluster: { leader: string; cluster_size: number };
    };
    expect(jsz.meta_cluster.leader).toMatch(/^nats-[123]$/);
    expect(jsz.meta_cluster.cluster_size).toBe(3);

    const pids = view.processes.map((p) => [p.name, p.pid]);
    const second = await stackUp(options);
    expect(second.started).toEqual([]);
    expect(second.alreadyRunning).toHaveLength(6);
    expect(readStatus(options).processes.map((p) => [p.name, p.pid])).toEqual(pids);
  });

  it('pause stops the postmaster and all its backends (state T) and queries time out; resume answers', async () => {
    const url = endpoints(options).postgres[0]!.url;
    const held = new pg.Client({ connectionString: url, query_timeout: 1_500 });
    held.on('error', () => {});
    await held.connect();
    await signalProcess('pg-1', 'pause', options);
    const tree = postgresTree('pg-1');
    expect(tree.length).toBeGreaterThanOrEqual(5); // postmaster, checkpointer, ..., our backend
    expect(tree.map((pid) => readStat(pid)?.state)).toEqual(tree.map(() => 'T'));
    expect(record('pg-1').live).toBe('paused');
    await expect(held.query('select 1')).rejects.toThrow(/timeout/i);
    const fresh = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_500 });
    fresh.on('error', () => {});
    await expect(fresh.connect()).rejects.toThrow(/timeout/i);

    await signalProcess('pg-1', 'resume', options);
    expect(postgresTree('pg-1').map((pid) => readStat(pid)?.state)).not.toContain('T');
    expect(await query(url, 'select 1 as one')).toEqual([{ one: 1 }]);
    await held.end().catch(() => {});
  });

  it('kill of a postgres instance leaves no backend behind; restart recovers its committed data', async () => {
    const url = endpoints(options).postgres[1]!.url;
    await query(url, 'create table if not exists survives (id int primary key, note text)');
    await query(url, `insert into survives values (1, 'committed before kill')`);
    const before = postgresTree('pg-2');
    await signalProcess('pg-2', 'kill', options);
    expect(before.filter(isAlive)).toEqual([]);
    expect(processesMatching('seamline-pg-2-55332')).toEqual([]);
    expect(record('pg-2').live).toBe('dead');
    expect(await tcpAccepts(55332)).toBe(false);

    const after = await restartProcess('pg-2', options);
    expect(after.pid).not.toBe(before[0]);
    expect(await query(url, 'select note from survives where id = 1')).toEqual([
      { note: 'committed before kill' },
    ]);
  });

  it('kill and restart of the stream leader: it rejoins and the replicated stream kept every message', async () => {
    const urls = endpoints(options).nats;
    const nc = await connect({ servers: urls[0]!, timeout: 5_000 });
    let victim: string | undefined;
    try {
      const jsm = await jetstreamManager(nc);
      const created = await jsm.streams.add({
        name: 'STACK_TEST',
        subjects: ['stacktest.>'],
        num_replicas: 3,
        storage: 'file',
      });
      const js = jetstream(nc);
      await js.publish('stacktest.a', 'one');
      // Kill the node that leads the stream: the hardest case, the survivors must elect anew.
      victim = created.cluster?.leader ?? (await jsm.streams.info('STACK_TEST')).cluster?.leader;
      expect(victim).toMatch(/^nats-[123]$/);
      const { pid } = record(victim!);
      await signalProcess(victim!, 'kill', options);
      expect(isAlive(pid)).toBe(false);
      expect(record(victim!).live).toBe('dead');
      // Two of three nodes still form a quorum. Until they elect a new stream leader a publish
      // has no responder; the message id makes a retried publish count once.
      await waitFor(() => js.publish('stacktest.a', 'two', { msgID: 'stacktest-two' }), {
        what: 'the stream to accept a publish on the two remaining nodes',
        timeoutMs: 20_000,
        intervalMs: 200,
      });
    } finally {
      await nc.close();
      // Restarted even when an assertion failed, so the tests after this one see a whole stack.
      if (victim) await restartProcess(victim, options);
    }
    // Read from the restarted node itself: it caught up with the message it missed.
    const direct = await connect({ servers: urls[Number(victim!.slice(-1)) - 1]!, timeout: 5_000 });
    try {
      const info = await waitFor(
        async () => {
          const seen = await (await jetstreamManager(direct)).streams.info('STACK_TEST');
          return seen.state.messages === 2 && seen.cluster?.replicas?.length === 2 && seen;
        },
        { what: 'the restarted node to see both messages and two replicas', timeoutMs: 20_000 },
      );
      expect(info.state.messages).toBe(2);
    } finally {
      await direct.close();
    }
  });

  it('restart clears backends orphaned by a postmaster killed from outside the supervisor', async () => {
    const { pid } = record('pg-3');
    const orphans = snapshot()
      .filter((stat) => stat.ppid === pid)
      .map((stat) => stat.pid);
    // Stopped, the backends cannot notice the postmaster's death and exit on their own.
    for (const child of orphans) process.kill(child, 'SIGSTOP');
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !isAlive(pid), { what: 'the postmaster to die', timeoutMs: 5_000 });
    expect(orphans.filter(isAlive)).toEqual(orphans);
    expect(record('pg-3').live).toBe('dead');

    await restartProcess('pg-3', options);
    expect(orphans.filter(isAlive)).toEqual([]);
    const url = endpoints(options).postgres[2]!.url;
    expect(await query(url, 'select 1 as one')).toEqual([{ one: 1 }]);
  });

  it('restart of a paused process replaces it', async () => {
    await signalProcess('nats-3', 'pause', options);
    const before = record('nats-3').pid;
    const after = await restartProcess('nats-3', options);
    expect(isAlive(before)).toBe(false);
    expect(after.pid).not.toBe(before);
  });

  it('down stops every process and group of the stack and leaves foreign servers alone', async () => {
    const ours = readStatus(options).processes;
    const pgTrees = ['pg-1', 'pg-2', 'pg-3'].flatMap(postgresTree);
    // The machine's own servers (Debian cluster on 5432, nats on 4222), when present.
    const machineOwn = /\/var\/lib\/postgresql|postgres: \d+\/\w+:|nats-server.*-p 4222\b/;
    const foreign = snapshot().filter((stat) => machineOwn.test(readCmdline(stat.pid)));
    const machinePostgres = await tcpAccepts(5432);

    const report = await stackDown(options);
    expect(report.stopped.map((s) => s.how)).toEqual(ours.map(() => 'stopped'));
    for (const p of ours) {
      expect(isAlive(p.pid), `${p.name} pid ${p.pid}`).toBe(false);
      expect(snapshot().filter((stat) => stat.pgrp === p.pgid)).toEqual([]);
    }
    expect(pgTrees.filter(isAlive)).toEqual([]);
    expect(processesMatching(root)).toEqual([]);
    expect(foreign.filter((stat) => !isAlive(stat.pid))).toEqual([]);
    if (machinePostgres) expect(await tcpAccepts(5432)).toBe(true);
    expect(readStatus(options).processes.map((p) => p.live)).toEqual(ours.map(() => 'dead'));

    expect((await stackDown(options)).alreadyDown).toBe(true);
  });
});
