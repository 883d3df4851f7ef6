/**
 * The machine's Prometheus under the stack supervisor, against a live /metrics.
 *
 * Hunts: a Prometheus that starts but scrapes nothing (wrong target, wrong job), one that has
 * no alert rules loaded, one that outlives `stopPrometheus` (the next run's port is taken).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { createMetrics } from '@seamline/observability';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStatus, waitFor } from '../stack/index.ts';
import { stackOptionsFromEnv } from '../stack/env-options.ts';
import { PROMETHEUS_SERVICE, startPrometheus, stopPrometheus } from './run-prometheus.ts';

const stack = stackOptionsFromEnv();

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

async function query(
  url: string,
  promql: string,
): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as {
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  return body.data.result;
}

describe('startPrometheus', () => {
  const metrics = createMetrics();
  metrics.leaderTerm.set(17);
  const target = http.createServer((_req, res) => {
    void metrics
      .render()
      .then((text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text));
  });
  let url: string;

  beforeAll(async () => {
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const { port } = target.address() as AddressInfo;
    ({ url } = await startPrometheus({
      stack,
      port: await freePort(),
      targets: [{ job: 'order', instance: 'order-1', address: `127.0.0.1:${port}` }],
    }));
  });
  afterAll(async () => {
    await stopPrometheus(stack);
    await new Promise((r) => target.close(r));
  });

  it('scrapes the target under its job and instance', async () => {
    await waitFor(async () => (await query(url, 'seamline_leader_term')).length > 0, {
      what: 'a scraped sample of seamline_leader_term',
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    const [sample] = await query(url, 'seamline_leader_term');
    expect(sample!.metric).toMatchObject({ job: 'order', instance: 'order-1' });
    expect(sample!.value[1]).toBe('17');
  });

  it('loads every seam alert rule group', async () => {
    const res = await fetch(`${url}/api/v1/rules`);
    const body = (await res.json()) as {
      data: { groups: { name: string; rules: { name: string }[] }[] };
    };
    const names = body.data.groups.map((g) => g.name);
    expect(names).toEqual(
      expect.arrayContaining(['seamline-invariants', 'seamline-quorum', 'seamline-leader']),
    );
    expect(body.data.groups.flatMap((g) => g.rules.map((r) => r.name))).toContain(
      'FencingRejections',
    );
  });

  it('runs as a supervised service and is gone after stopPrometheus', async () => {
    const record = readStatus(stack).processes.find((p) => p.name === PROMETHEUS_SERVICE);
    expect(record?.live).toBe('running');
    expect(await stopPrometheus(stack)).toBe('stopped');
    expect(readStatus(stack).processes.some((p) => p.name === PROMETHEUS_SERVICE)).toBe(false);
    await expect(fetch(`${url}/-/ready`)).rejects.toThrow();
  });
});
