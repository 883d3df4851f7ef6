/**
 * The configuration of a fenced single-writer effect service (payment, inventory), read from the
 * environment once at start-up and validated: a bad value fails with an `InvalidConfigError`
 * naming the variable. The service only brings its name and HTTP port; every variable and
 * every other default is the same for all of them (docker-compose.yml relies on that).
 */
import os from 'node:os';
import { z } from 'zod';
import { InvalidConfigError } from './config-error.ts';
import type { PostgresReplicaUrl } from './postgres-urls.ts';
import { postgresUrlsField } from './postgres-urls.ts';

export interface EffectServiceConfig {
  /** SEAMLINE_PG_URLS: `pg-1=postgres://...,pg-2=...` or plain urls (named pg-1, pg-2, ...). */
  readonly postgres: readonly PostgresReplicaUrl[];
  /** SEAMLINE_NATS_URLS: comma-separated NATS server urls. */
  readonly nats: readonly string[];
  /** SEAMLINE_HTTP_PORT (0 = any free port). @default the service's port (payment 3100) */
  readonly httpPort: number;
  /** SEAMLINE_HTTP_HOST. @default 127.0.0.1 */
  readonly httpHost: string;
  /** SEAMLINE_REPLICA_ID: unique per process (the election candidate id). @default <service>-<host>-<pid> */
  readonly replicaId: string;
  /** SEAMLINE_DB: this service's database on every Postgres instance. @default seamline_<service> */
  readonly database: string;
  /** SEAMLINE_CONSISTENCY: quorum | linearizable | eventual. @default quorum */
  readonly consistency: 'quorum' | 'linearizable' | 'eventual';
  /** SEAMLINE_WRITE_QUORUM / SEAMLINE_READ_QUORUM. @default 2 / 2 */
  readonly writeQuorum: number;
  readonly readQuorum: number;
  /** SEAMLINE_NATS_REPLICAS: copies of streams and the election bucket. @default min(3, NATS urls) */
  readonly natsReplicas: number;
  /** SEAMLINE_DUPLICATE_DELIVERY: TEST SWITCH, handler runs per delivery. @default 1 */
  readonly duplicateDelivery: number;
  /**
   * SEAMLINE_ATTEMPT_TTL_MS: an effect key with no arrival for this long is forgotten, and its
   * arrival count observed as one `seamline_effect_attempts{layer="downstream"}` sample. Longer
   * than the orchestrator's re-drive and the bus's redelivery backoff, so a key's repeats land
   * in one sample. @default 60000
   */
  readonly attemptTtlMs: number;
  /**
   * SEAMLINE_ANTI_ENTROPY_MS: the active writer runs an anti-entropy pass over its database this
   * long after the previous one ended (divergence gauge, repair of lagging replicas); 0 = off.
   * @default 60000
   */
  readonly antiEntropyMs: number;
  /**
   * SEAMLINE_DUPLICATE_CHECK_MS: the active writer checks the orders whose ledger it wrote
   * since the last pass for an effect applied twice (`seamline_duplicate_effects_total`) this
   * long after the previous pass ended; 0 = off. @default 5000
   */
  readonly duplicateCheckMs: number;
  /** SEAMLINE_BUS_PREFIX: stream prefix (upper case) and subject prefix (lower case). @default SEAMLINE */
  readonly busPrefix: string;
  /** SEAMLINE_ELECTION_BUCKET. @default seamline-election */
  readonly electionBucket: string;
  /** SEAMLINE_LOG_LEVEL. @default info */
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** SEAMLINE_OTLP_URL: traces exporter; tracing is off without it. */
  readonly otlpUrl: string | undefined;
  /** SEAMLINE_CHAOS=on: follow the fault rules of the chaos bucket (set by `stack up --chaos`). @default false */
  readonly chaos: boolean;
  /** SEAMLINE_CHAOS_SEED: seed of the fault rules' rate draws. @default random, logged */
  readonly chaosSeed: number | undefined;
  /**
   * SEAMLINE_START_STEP_MS: bound of each start-up step (store, http, nats, chaos rules,
   * election, bus consumer; twice this for `writer`: the lease, the term and the consumer). A
   * step that overruns fails the start naming the step, and the process exits for the
   * supervisor to start a fresh one. @default 30000
   */
  readonly startStepMs: number;
}

/** What differs between effect services' configurations. */
export interface EffectServiceDefaults {
  /** Names the default replica id and database (`payment` -> `seamline_payment`). */
  readonly service: string;
  /** Default of SEAMLINE_HTTP_PORT. */
  readonly httpPort: number;
  /** Host part of the default replica id. @default os.hostname() */
  readonly hostname?: string;
  /** Pid part of the default replica id. @default process.pid */
  readonly pid?: number;
}

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const natsUrlsField = z
  .string()
  .min(1, 'required')
  .transform((raw, ctx) => {
    const urls = raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    for (const url of urls) {
      if (!/^(nats|tls|ws|wss):\/\/.+/.test(url) && !/^[\w.-]+:\d+$/.test(url)) {
        ctx.addIssue({ code: 'custom', message: `not a NATS url: ${url}` });
        return z.NEVER;
      }
    }
    return urls;
  });

function environmentSchema(d: EffectServiceDefaults) {
  const host = (d.hostname ?? os.hostname()).replace(/[^A-Za-z0-9._-]/g, '');
  return z.object({
    SEAMLINE_PG_URLS: postgresUrlsField,
    SEAMLINE_NATS_URLS: natsUrlsField,
    SEAMLINE_HTTP_PORT: int(0, 65535).default(d.httpPort),
    SEAMLINE_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
    SEAMLINE_REPLICA_ID: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, . _ - only')
      .default(`${d.service}-${host}-${d.pid ?? process.pid}`),
    SEAMLINE_DB: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case PostgreSQL identifier')
      .default(`seamline_${d.service}`),
    SEAMLINE_CONSISTENCY: z.enum(['quorum', 'linearizable', 'eventual']).default('quorum'),
    SEAMLINE_WRITE_QUORUM: int(1, 9).default(2),
    SEAMLINE_READ_QUORUM: int(1, 9).default(2),
    SEAMLINE_NATS_REPLICAS: int(1, 5).optional(),
    SEAMLINE_DUPLICATE_DELIVERY: int(1, 100).default(1),
    SEAMLINE_ATTEMPT_TTL_MS: int(1, 86_400_000).default(60_000),
    SEAMLINE_ANTI_ENTROPY_MS: int(0, 86_400_000).default(60_000),
    SEAMLINE_DUPLICATE_CHECK_MS: int(0, 86_400_000).default(5_000),
    SEAMLINE_BUS_PREFIX: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_]{0,31}$/)
      .default('SEAMLINE'),
    SEAMLINE_ELECTION_BUCKET: z
      .string()
      .regex(/^[-_a-zA-Z0-9]+$/)
      .default('seamline-election'),
    SEAMLINE_LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    SEAMLINE_OTLP_URL: z.url().optional(),
    SEAMLINE_CHAOS: z.enum(['on', 'off']).default('off'),
    SEAMLINE_CHAOS_SEED: int(0, 2 ** 32 - 1).optional(),
    SEAMLINE_START_STEP_MS: int(100, 600_000).default(30_000),
  });
}

/**
 * Parses `env` with a zod object schema of environment variables: the way every service reads
 * its own extra variables beside the shared ones.
 * @throws InvalidConfigError naming the first bad variable
 */
export function parseEnvironment<T>(
  schema: z.ZodType<T>,
  env: Readonly<Record<string, string | undefined>>,
): T {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new InvalidConfigError(issue?.path.join('.') ?? '?', issue?.message ?? '');
}

/**
 * Reads and validates an effect service's environment (the caller passes `process.env`).
 * @throws InvalidConfigError naming the first bad variable
 */
export function loadEffectServiceConfig(
  env: Readonly<Record<string, string | undefined>>,
  defaults: EffectServiceDefaults,
): EffectServiceConfig {
  const e = parseEnvironment(environmentSchema(defaults), env);
  return {
    postgres: e.SEAMLINE_PG_URLS,
    nats: e.SEAMLINE_NATS_URLS,
    httpPort: e.SEAMLINE_HTTP_PORT,
    httpHost: e.SEAMLINE_HTTP_HOST,
    replicaId: e.SEAMLINE_REPLICA_ID,
    database: e.SEAMLINE_DB,
    consistency: e.SEAMLINE_CONSISTENCY,
    writeQuorum: e.SEAMLINE_WRITE_QUORUM,
    readQuorum: e.SEAMLINE_READ_QUORUM,
    natsReplicas: e.SEAMLINE_NATS_REPLICAS ?? Math.min(3, e.SEAMLINE_NATS_URLS.length),
    duplicateDelivery: e.SEAMLINE_DUPLICATE_DELIVERY,
    attemptTtlMs: e.SEAMLINE_ATTEMPT_TTL_MS,
    antiEntropyMs: e.SEAMLINE_ANTI_ENTROPY_MS,
    duplicateCheckMs: e.SEAMLINE_DUPLICATE_CHECK_MS,
    busPrefix: e.SEAMLINE_BUS_PREFIX,
    electionBucket: e.SEAMLINE_ELECTION_BUCKET,
    logLevel: e.SEAMLINE_LOG_LEVEL,
    otlpUrl: e.SEAMLINE_OTLP_URL,
    chaos: e.SEAMLINE_CHAOS === 'on',
    chaosSeed: e.SEAMLINE_CHAOS_SEED,
    startStepMs: e.SEAMLINE_START_STEP_MS,
  };
}
