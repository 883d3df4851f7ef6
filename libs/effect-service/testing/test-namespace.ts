/**
 * Isolation on the shared stack: each integration test file gets a private database, bus prefix
 * and election bucket, and removes them afterwards.
 */
import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import type { EffectServiceConfig } from '../service-config.ts';

/** The stack's endpoints, as `inject('stack')` hands them to integration tests. */
export interface StackEndpoints {
  readonly postgres: readonly { readonly name: string; readonly url: string }[];
  readonly nats: readonly string[];
}

export interface TestNamespace {
  readonly database: string;
  readonly busPrefix: string;
  readonly electionBucket: string;
}

/** A fresh namespace; `kind` (`pay`, `invdup`) makes leftovers recognisable. */
export function privateNamespace(kind: string): TestNamespace {
  const id = randomBytes(4).toString('hex');
  return {
    database: `${kind}_test_${id}`,
    busPrefix: `T${id.toUpperCase()}`,
    electionBucket: `${kind}-test-${id}`,
  };
}

/** Stream and consumer replicas the stack supports. */
export function stackReplicas(stack: StackEndpoints): number {
  return stack.nats.length >= 3 ? 3 : 1;
}

/** The configuration of `service` inside `ns`: any free port, warn logs, no tracing. */
export function testConfig(
  service: string,
  stack: StackEndpoints,
  ns: TestNamespace,
  overrides: Partial<EffectServiceConfig> = {},
): EffectServiceConfig {
  return {
    postgres: stack.postgres.map((p) => ({ name: p.name, url: p.url })),
    nats: stack.nats,
    httpPort: 0,
    httpHost: '127.0.0.1',
    replicaId: `${service}-test-${randomBytes(3).toString('hex')}`,
    database: ns.database,
    consistency: 'quorum',
    writeQuorum: 2,
    readQuorum: 2,
    natsReplicas: stackReplicas(stack),
    duplicateDelivery: 1,
    attemptTtlMs: 60_000,
    antiEntropyMs: 60_000,
    duplicateCheckMs: 5_000,
    busPrefix: ns.busPrefix,
    electionBucket: ns.electionBucket,
    logLevel: 'warn',
    otlpUrl: undefined,
    chaos: false,
    chaosSeed: undefined,
    startStepMs: 30_000,
    ...overrides,
  };
}

/** Removes everything the namespace created: databases, streams, the election bucket. */
export async function dropNamespace(stack: StackEndpoints, ns: TestNamespace): Promise<void> {
  for (const p of stack.postgres) {
    const admin = new pg.Client({ connectionString: p.url });
    await admin.connect();
    try {
      await admin.query(`drop database if exists ${pg.escapeIdentifier(ns.database)} with (force)`);
    } finally {
      await admin.end();
    }
  }
  const nc = await connect({ servers: [...stack.nats] });
  try {
    const jsm = await jetstreamManager(nc);
    const prefix = ns.busPrefix.toUpperCase();
    for (const s of [`${prefix}_CMD`, `${prefix}_REPLY`, `${prefix}_DLQ`])
      await jsm.streams.delete(s).catch(() => false);
    await new Kvm(nc)
      .open(ns.electionBucket)
      .then((kv) => kv.destroy())
      .catch(() => false);
  } finally {
    await nc.close();
  }
}
