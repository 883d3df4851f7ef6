/**
 * Integration-test support: real JetStream streams under a private prefix per test file, a Nest
 * microservice around `JetStreamServer`, and condition waits (never sleeps).
 */
import { randomBytes } from 'node:crypto';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import type { DynamicModule, INestMicroservice, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  BusExceptionFilter,
  busNaming,
  JetStreamServer,
  type BusNaming,
  type BusNamingOptions,
  type JetStreamServerOptions,
} from '../index.ts';

/** A fresh stream/subject namespace, so test files never see each other's messages. */
export function privateNaming(): BusNamingOptions & { bus: BusNaming } {
  const id = randomBytes(4).toString('hex');
  const options = { streamPrefix: `T${id.toUpperCase()}`, subjectPrefix: `t${id}` };
  return { ...options, bus: busNaming(options) };
}

export function replicasFor(nats: string[]): number {
  return nats.length >= 3 ? 3 : 1;
}

export type RunningService = { app: INestMicroservice; server: JetStreamServer };

/** Starts a Nest microservice with `controllers` on the JetStream transport. */
export async function startService(
  controllers: Type[],
  options: JetStreamServerOptions,
): Promise<RunningService> {
  const server = new JetStreamServer(options);
  const module: DynamicModule = { module: class BusTestModule {}, controllers };
  const app = await NestFactory.createMicroservice(module, { strategy: server, logger: ['error'] });
  app.useGlobalFilters(new BusExceptionFilter());
  await app.listen();
  return { app, server };
}

export async function adminConnection(
  servers: string[],
): Promise<{ nc: NatsConnection; jsm: JetStreamManager }> {
  const nc = await connect({ servers, name: 'bus-test-admin' });
  return { nc, jsm: await jetstreamManager(nc) };
}

/** Publishes raw bytes and headers, bypassing every client-side check. */
export async function publishRaw(
  jsm: JetStreamManager,
  subject: string,
  data: Uint8Array,
  hdrs: Record<string, string> = {},
): Promise<void> {
  const h = headers();
  for (const [k, v] of Object.entries(hdrs)) h.set(k, v);
  await jsm.jetstream().publish(subject, data, { headers: h });
}

export type StoredMessage = { subject: string; headers: Record<string, string>; data: Uint8Array };

/** Every message currently in a stream (tests keep streams small). */
export async function readStream(jsm: JetStreamManager, stream: string): Promise<StoredMessage[]> {
  const { state } = await jsm.streams.info(stream);
  const out: StoredMessage[] = [];
  for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (m === null) continue;
    const h: Record<string, string> = {};
    for (const [k, v] of m.header ?? []) h[k] = v[0] ?? '';
    out.push({ subject: m.subject, headers: h, data: m.data });
  }
  return out;
}

export async function deleteStreams(jsm: JetStreamManager, bus: BusNaming): Promise<void> {
  for (const s of [bus.commandStream, bus.replyStream, bus.deadLetterStream]) {
    await jsm.streams.delete(s).catch(() => false);
  }
}

/** Polls `probe` until it returns something other than undefined/false, or fails with `what`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A promise plus its resolver, to hold a handler mid-flight. */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
}
