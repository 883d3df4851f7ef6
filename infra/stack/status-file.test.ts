/**
 * Hunts: a status file that parses although a chaos script could not trust it (missing pgid,
 * bad port, duplicate names), error messages that do not name the broken field, records from
 * before memberMarkers existed failing to load, and upsert reordering or duplicating records.
 */
import { describe, expect, it } from 'vitest';
import { parseStatus, serializeStatus, upsertRecord } from './status-file.ts';
import type { ProcessRecord, StackStatus } from './status-file.ts';

function record(name: string, overrides: Partial<ProcessRecord> = {}): ProcessRecord {
  return {
    name,
    kind: 'postgres',
    pid: 100,
    pgid: 100,
    startTicks: 0,
    ports: { port: 54331 },
    state: 'running',
    logPath: `/r/logs/${name}.log`,
    dataDir: `/r/${name}/data`,
    startedAt: '2026-01-01T00:00:00.000Z',
    match: [`/r/${name}/data`],
    memberMarkers: [],
    launch: { command: '/usr/bin/postgres', args: ['-D', `/r/${name}/data`], env: {}, cwd: '/r' },
    readiness: {
      kind: 'postgres',
      url: 'postgres://postgres@127.0.0.1:54331/postgres',
      dataDir: '/r',
    },
    ...overrides,
  };
}

function status(processes: ProcessRecord[]): StackStatus {
  return {
    version: 1,
    root: '/r',
    nats: 'cluster',
    ports: { postgres: [54331], natsClient: [44221], natsCluster: [46221], natsMonitor: [48221] },
    autoStarted: false,
    holders: [],
    processes,
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

describe('status file', () => {
  it('round-trips a status through serialize and parse unchanged', () => {
    const original = status([record('pg-1'), record('nats-1', { kind: 'nats', dataDir: null })]);
    expect(parseStatus(serializeStatus(original))).toEqual(original);
  });

  it('fills memberMarkers with [] for records written without it', () => {
    const { memberMarkers: _omitted, ...legacy } = record('pg-1');
    const text = JSON.stringify({ ...status([]), processes: [legacy] });
    expect(parseStatus(text).processes[0]?.memberMarkers).toEqual([]);
  });

  it('rejects text that is not JSON', () => {
    expect(() => parseStatus('{"version": 1,', 'x.json')).toThrow(/x\.json: not valid JSON/);
  });

  it('names the field when a record lacks its process group', () => {
    const { pgid: _omitted, ...broken } = record('pg-1');
    const text = JSON.stringify({ ...status([]), processes: [broken] });
    expect(() => parseStatus(text)).toThrow(/processes\.0\.pgid/);
  });

  it('rejects ports outside 1..65535', () => {
    const text = JSON.stringify(status([record('pg-1', { ports: { port: 70000 } })]));
    expect(() => parseStatus(text)).toThrow(/processes\.0\.ports\.port/);
  });

  it('rejects a record without any cmdline marker (it could never be verified before a signal)', () => {
    const text = JSON.stringify(status([record('pg-1', { match: [] })]));
    expect(() => parseStatus(text)).toThrow(/processes\.0\.match/);
  });

  it('rejects two records with the same name', () => {
    const text = JSON.stringify(status([record('pg-1'), record('pg-1', { pid: 200 })]));
    expect(() => parseStatus(text)).toThrow(/duplicate process pg-1/);
  });

  it('rejects an unknown readiness kind', () => {
    const bad = { ...record('pg-1'), readiness: { kind: 'sleep', seconds: 3 } };
    const text = JSON.stringify({ ...status([]), processes: [bad] });
    expect(() => parseStatus(text)).toThrow(/processes\.0\.readiness/);
  });

  it('upsert replaces a record in place and appends new names at the end', () => {
    const value = status([record('pg-1'), record('pg-2')]);
    upsertRecord(value, record('pg-1', { pid: 999 }));
    upsertRecord(value, record('pg-3'));
    expect(value.processes.map((p) => [p.name, p.pid])).toEqual([
      ['pg-1', 999],
      ['pg-2', 100],
      ['pg-3', 100],
    ]);
  });
});
