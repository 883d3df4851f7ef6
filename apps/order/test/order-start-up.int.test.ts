/**
 * Issue 9, hole 9 (a restarted service that never comes back), for the order replicas: their
 * start-up steps are bounded. Hunts a start that waits on an unresponsive NATS server for as
 * long as the client library cares to (20 s), instead of failing within its step bound with an
 * error that names the step, so the supervisor starts a fresh process.
 */
import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readOrderConfig } from '../src/config.ts';
import { createOrderApp } from '../src/create-order-app.ts';
import { isolation } from './order-harness.ts';

const stack = inject('stack');
let silent: net.Server;
let silentPort: number;
const sockets = new Set<net.Socket>();
const database = `order_${isolation().suffix}`;

beforeAll(async () => {
  // Accepts connections and never says a word, like a NATS server stopped mid-flight.
  silent = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentPort = (silent.address() as net.AddressInfo).port;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
  for (const p of stack.postgres) {
    const admin = new pg.Client({ connectionString: p.url });
    await admin.connect();
    try {
      await admin.query(`drop database if exists ${pg.escapeIdentifier(database)} with (force)`);
    } finally {
      await admin.end();
    }
  }
});

describe('hole 9: an order replica start-up is bounded step by step', () => {
  it('fails within the step bound, naming the step, when NATS accepts but never answers', async () => {
    const iso = isolation();
    const config = readOrderConfig({
      ...iso.env,
      SEAMLINE_NATS_URLS: `nats://127.0.0.1:${silentPort}`,
      SEAMLINE_DB: database,
      SEAMLINE_HTTP_PORT: '0',
      SEAMLINE_REPLICA_ID: 'order-start-up',
      SEAMLINE_START_STEP_MS: '3000',
    });
    expect(config.startStepMs).toBe(3_000);
    const began = performance.now();
    const err = await createOrderApp(config).then(
      () => undefined,
      (e: unknown) => e,
    );
    const tookMs = performance.now() - began;
    expect(err).toMatchObject({ code: 'START_UP_STEP_TIMEOUT', step: 'nats', boundMs: 3_000 });
    expect((err as Error).message).toBe('start-up step "nats" did not finish within 3000 ms');
    // The store step came first (a few seconds at most); the client's own 20 s never ran out.
    expect(tookMs).toBeLessThan(15_000);
  });
});
