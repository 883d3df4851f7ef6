/**
 * Hunts a seeding that gives up on a passing refusal (a writer still taking over answers 503)
 * or keeps retrying a request that can never succeed.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SeedError, seedServices } from './seed-client.ts';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A seed endpoint answering the given statuses in turn (the last one repeats). */
async function seedEndpoint(statuses: number[]): Promise<{ url: string; calls: () => number }> {
  let calls = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    const status = statuses[Math.min(calls, statuses.length - 1)]!;
    calls += 1;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(status === 200 ? { created: 3, existing: 0 } : { status }));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, calls: () => calls };
}

describe('seedServices', () => {
  it('asks again after 503 and 429 and returns the eventual answer', async () => {
    const payment = await seedEndpoint([503, 429, 200]);
    const inventory = await seedEndpoint([200]);
    const result = await seedServices({ payment: payment.url, inventory: inventory.url });
    expect(result.payment).toEqual({ created: 3, existing: 0 });
    expect(payment.calls()).toBe(3);
    expect(inventory.calls()).toBe(1);
  });

  it('fails at once on a refusal that cannot pass, naming the service and status', async () => {
    const payment = await seedEndpoint([400]);
    const inventory = await seedEndpoint([200]);
    await expect(seedServices({ payment: payment.url, inventory: inventory.url })).rejects.toThrow(
      new SeedError('payment answered 400 to POST /admin/seed: {"status":400}'),
    );
    expect(payment.calls()).toBe(1);
  });

  it('gives up when passing refusals outlast its time budget', async () => {
    const payment = await seedEndpoint([503]);
    const inventory = await seedEndpoint([200]);
    await expect(
      seedServices({ payment: payment.url, inventory: inventory.url }, {}, 1_000),
    ).rejects.toThrow(/payment answered 503/);
    expect(payment.calls()).toBeGreaterThanOrEqual(2);
  });
});
