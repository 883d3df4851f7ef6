/**
 * Hunts a demo client that could itself break the invariants it demonstrates or hang: a retry
 * with a new Idempotency-Key (a second order), a dead replica that stalls every request, a 4xx
 * retried forever, a long-poll that stops before the order is terminal. The order API is faked
 * by an in-process HTTP server.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OrderClient, OrderRejectedError } from './order-client.ts';

type Answer = { status: number; body?: unknown; headers?: Record<string, string> };
const servers: http.Server[] = [];

async function fakeApi(answer: (req: http.IncomingMessage, n: number) => Answer) {
  const seen: { method: string; url: string; key: string | undefined }[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        key: req.headers['idempotency-key'] as string | undefined,
      });
      const a = answer(req, seen.length);
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
      res.end(JSON.stringify(a.body ?? {}));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

async function deadUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

const body = {
  customerId: 'c',
  items: [{ sku: 's', qty: 1, unitPriceCents: 1 }],
  currency: 'USD' as const,
};
const view = (status: string) => ({ orderId: 'ord-1', status, totalCents: 1 });

describe('OrderClient', () => {
  it('retries 409 and 503 with the same Idempotency-Key, skipping a dead replica', async () => {
    const api = await fakeApi((_, n) =>
      n === 1
        ? { status: 409, headers: { 'retry-after': '0' } }
        : n === 2
          ? { status: 503 }
          : { status: 202, body: view('PENDING') },
    );
    const client = new OrderClient({ urls: [await deadUrl(), api.url], deadlineMs: 10_000 });
    const placed = await client.place('key-1', body);
    expect(placed.view.status).toBe('PENDING');
    expect(api.seen.map((s) => s.key)).toEqual(['key-1', 'key-1', 'key-1']);
    // 409: same replica again; 503: the next one (the dead one, so round again).
    const dead = placed.retries[0]!.split(': ')[0];
    expect(
      placed.retries.map((r) => (r.startsWith(`${dead}:`) ? 'dead' : r.split(': ')[1])),
    ).toEqual(['dead', '409', '503', 'dead']);
  });

  it('does not retry a refusal', async () => {
    const api = await fakeApi(() => ({ status: 422, body: { title: 'Idempotency-Key reused' } }));
    const client = new OrderClient({ urls: [api.url], deadlineMs: 10_000 });
    await expect(client.place('k', body)).rejects.toBeInstanceOf(OrderRejectedError);
    expect(api.seen).toHaveLength(1);
  });

  it('long-polls until the order is terminal', async () => {
    const api = await fakeApi((_, n) => ({
      status: 200,
      body: view(n < 3 ? 'PENDING' : 'COMPLETED'),
    }));
    const client = new OrderClient({ urls: [api.url], waitMs: 5 });
    expect((await client.awaitTerminal('ord-1')).status).toBe('COMPLETED');
    expect(api.seen.map((s) => s.url)).toEqual(Array(3).fill('/orders/ord-1?waitMs=5'));
  });

  it('gives up at its deadline with the last problem in the message', async () => {
    const api = await fakeApi(() => ({ status: 503 }));
    const client = new OrderClient({ urls: [api.url], deadlineMs: 300 });
    await expect(client.place('k', body)).rejects.toThrow(/gave up after 300 ms \(last: .*503/);
  });
});
