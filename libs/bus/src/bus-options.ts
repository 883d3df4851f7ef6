/**
 * Typed options of the bus server and client, with documented defaults, validated once at
 * construction: a bad value fails fast with a `BusConfigError` that names the field.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import { BusConfigError } from './bus-errors.ts';
import type { BusFaults, BusLogger, BusObserver } from './bus-hooks.ts';
import { busNaming, NAME_TOKEN, type BusNaming, type BusNamingOptions } from './bus-naming.ts';

/** Payload schema per handler pattern (`'payment.charge'` -> zod schema). */
export type CommandSchemas = Readonly<Record<string, z.ZodType>>;

/** Options every bus participant shares (the three streams are created by whoever starts first). */
export type BusStreamOptions = {
  /** NATS server URLs, e.g. `['nats://127.0.0.1:4222']`. */
  servers: string[];
  /** Stream and subject prefixes. @default `{ streamPrefix: 'SEAMLINE', subjectPrefix: 'seamline' }` */
  naming?: BusNamingOptions;
  /** Stream and consumer replicas (3 on the cluster; 1 for a single node). @default 3 */
  replicas?: number;
  /** Retention of commands, replies and dead letters. @default 86_400_000 (24 h) */
  maxAgeMs?: number;
  /** JetStream `Nats-Msg-Id` dedup window (a second line of defence only). @default 120_000 */
  duplicateWindowMs?: number;
  /** Connection name shown by the NATS server. @default `seamline-bus-<role>` */
  connectionName?: string;
  /** Clock for deadlines. @default Date.now */
  clock?: () => number;
  /** Structured logger. @default Nest's Logger */
  logger?: BusLogger;
  /** Metric hooks. @default none */
  observer?: BusObserver;
  /** PubAck timeout for commands, replies and dead letters. @default 5_000 */
  publishTimeoutMs?: number;
};

export type JetStreamServerOptions = BusStreamOptions & {
  /** This service's name: consumes `<prefix>.cmd.<service>.>` with durable consumer `<service>`. */
  service: string;
  /** Payload schema of every `@MessagePattern` handler; a handler without one fails start-up. */
  schemas: CommandSchemas;
  /** Redelivery after this long without an ack. @default 30_000 */
  ackWaitMs?: number;
  /** Handler runs before a retryable failure is dead-lettered. @default 5 */
  maxDeliver?: number;
  /** Commands handled in parallel. @default 16 */
  concurrency?: number;
  /** TEST SWITCH: run each delivered command through the handler this many times. @default 1 */
  duplicateDelivery?: number;
  /** Backoff between redeliveries (full jitter). @default `{ baseMs: 250, maxMs: 10_000 }` */
  backoff?: { baseMs?: number; maxMs?: number };
  /** Kept back from the caller's deadline to publish the reply (>= 1, so the handler always has strictly less time than its caller). @default 10 */
  replyReserveMs?: number;
  /**
   * How long a measurement of this host's offset to the NATS server clock is trusted (it dates a
   * command's time in the stream); a probe runs every third of it. @default 60_000
   */
  serverClockWindowMs?: number;
  /** A sender clock further than this from ours is logged, at most once a minute. @default 1_000 */
  skewWarnMs?: number;
  /** How long `close()` waits for in-flight handlers before closing. @default 10_000 */
  drainTimeoutMs?: number;
  /**
   * What a delivery whose deadline already passed gets. `refuse`: a DEADLINE_EXCEEDED reply, the
   * handler never runs. `handler`: the handler runs with `remainingMs() <= 0` and must start no
   * new work, but answers from the result it stored for the key if it has one (a deadline must
   * never hide an effect that an earlier delivery applied). Idempotent effect handlers use
   * `handler`. @default 'refuse'
   */
  expired?: 'refuse' | 'handler';
  /** Chaos hooks. @default none */
  faults?: BusFaults;
  /** Randomness for jitter. @default Math.random */
  random?: () => number;
};

export type BusClientOptions = Omit<BusStreamOptions, 'servers'> & {
  /** NATS server URLs; required unless `connection` is given. */
  servers?: string[];
  /** An existing connection to share (the client then never closes it). @default none */
  connection?: NatsConnection;
  /** This process's service name: the `Seamline-Reply-To` of every command it sends. */
  requester: string;
  /** Reply-consumer ack wait. @default 30_000 */
  ackWaitMs?: number;
  /** Reply handler runs before a failing reply is dead-lettered. @default 5 */
  maxDeliver?: number;
  /** Replies handled in parallel. @default 16 */
  concurrency?: number;
  /** Backoff between reply redeliveries. @default `{ baseMs: 250, maxMs: 10_000 }` */
  backoff?: { baseMs?: number; maxMs?: number };
};

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const streamShape = {
  servers: z.array(z.string().min(1)).min(1),
  replicas: int(1, 5).default(3),
  maxAgeMs: int(60_000, 365 * 86_400_000).default(86_400_000),
  duplicateWindowMs: int(1_000, 86_400_000).default(120_000),
  ackWaitMs: int(100, 3_600_000).default(30_000),
  maxDeliver: int(1, 1_000).default(5),
  concurrency: int(1, 1_024).default(16),
  publishTimeoutMs: int(100, 600_000).default(5_000),
  backoff: z
    .object({ baseMs: int(1, 3_600_000).default(250), maxMs: int(1, 3_600_000).default(10_000) })
    .default({ baseMs: 250, maxMs: 10_000 }),
};
const serverSchema = z.object({
  ...streamShape,
  service: z.string().regex(NAME_TOKEN),
  duplicateDelivery: int(1, 100).default(1),
  replyReserveMs: int(1, 60_000).default(10),
  serverClockWindowMs: int(3_000, 3_600_000).default(60_000),
  skewWarnMs: int(0, 3_600_000).default(1_000),
  drainTimeoutMs: int(0, 600_000).default(10_000),
  expired: z.enum(['refuse', 'handler']).default('refuse'),
});
const clientSchema = z.object({
  ...streamShape,
  servers: z.array(z.string().min(1)).min(1).optional(),
  requester: z.string().regex(NAME_TOKEN),
});

export type ResolvedServerOptions = JetStreamServerOptions &
  z.output<typeof serverSchema> & { bus: BusNaming; clock: () => number; random: () => number };
export type ResolvedClientOptions = Omit<BusClientOptions, 'servers'> &
  z.output<typeof clientSchema> & { bus: BusNaming; clock: () => number };

export function resolveServerOptions(options: JetStreamServerOptions): ResolvedServerOptions {
  const parsed = validate(serverSchema, options, 'JetStreamServer');
  if (parsed.duplicateWindowMs > parsed.maxAgeMs) {
    throw new BusConfigError('JetStreamServer: duplicateWindowMs must not exceed maxAgeMs');
  }
  for (const [pattern, schema] of Object.entries(options.schemas ?? {})) {
    if (typeof (schema as { safeParse?: unknown })?.safeParse !== 'function') {
      throw new BusConfigError(`JetStreamServer: schemas["${pattern}"] is not a zod schema`);
    }
  }
  return {
    ...options,
    ...parsed,
    schemas: options.schemas ?? {},
    bus: naming(options.naming, 'JetStreamServer'),
    clock: options.clock ?? Date.now,
    random: options.random ?? Math.random,
  };
}

export function resolveClientOptions(options: BusClientOptions): ResolvedClientOptions {
  const parsed = validate(clientSchema, options, 'BusClient');
  if (parsed.servers === undefined && options.connection === undefined) {
    throw new BusConfigError('BusClient options: servers: required unless connection is given');
  }
  return {
    ...options,
    ...parsed,
    bus: naming(options.naming, 'BusClient'),
    clock: options.clock ?? Date.now,
  };
}

function validate<S extends z.ZodType>(schema: S, options: unknown, who: string): z.output<S> {
  const parsed = schema.safeParse(options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new BusConfigError(`${who} options: ${problems.join('; ')}`);
  }
  return parsed.data;
}

function naming(options: BusNamingOptions | undefined, who: string): BusNaming {
  try {
    return busNaming(options);
  } catch (e) {
    throw new BusConfigError(`${who} options: ${(e as Error).message}`);
  }
}
