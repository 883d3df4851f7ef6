/**
 * The order service's configuration, read from the environment once at start-up and validated;
 * a bad value fails naming the variable. Nothing else in the service reads process.env.
 */
import { postgresUrlsField } from '@seamline/effect-service/process';
import { z } from 'zod';

const schema = z.object({
  SEAMLINE_PG_URLS: postgresUrlsField,
  SEAMLINE_NATS_URLS: z
    .string()
    .min(1)
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    ),
  SEAMLINE_HTTP_HOST: z.string().default('127.0.0.1'),
  SEAMLINE_ADVERTISE_URL: z.url().optional(),
  SEAMLINE_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  SEAMLINE_REPLICA_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default('order-1'),
  SEAMLINE_DB: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/)
    .default('seamline_order'),
  SEAMLINE_BUS_PREFIX: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_]{0,31}$/)
    .default('seamline'),
  SEAMLINE_NATS_REPLICAS: z.coerce.number().int().min(1).max(5).optional(),
  SEAMLINE_ELECTION_BUCKET: z
    .string()
    .regex(/^[-_a-zA-Z0-9]+$/)
    .default('seamline-election'),
  SEAMLINE_ELECTION_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default('order-leader'),
  // Short enough for failover p99 < 1 s, see docs/adr/0005-election-lease.md.
  SEAMLINE_LEASE_MS: z.coerce.number().int().positive().default(700),
  SEAMLINE_RENEW_MS: z.coerce.number().int().positive().default(200),
  SEAMLINE_LEASE_MARGIN_MS: z.coerce.number().int().min(0).default(150),
  SEAMLINE_SAGA_DEADLINE_MS: z.coerce.number().int().positive().default(30_000),
  SEAMLINE_REDRIVE_AFTER_MS: z.coerce.number().int().positive().default(2000),
  SEAMLINE_REDRIVE_CEILING_MS: z.coerce.number().int().positive().default(10_000),
  SEAMLINE_REPLICA_TIMEOUT_MS: z.coerce.number().int().positive().default(1000),
  SEAMLINE_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'),
  SEAMLINE_OTLP_URL: z.string().url().optional(),
  SEAMLINE_RETRY_BUDGET: z.enum(['on', 'off']).default('on'),
  SEAMLINE_RETRY_PERCENT: z.coerce.number().min(0).max(10).default(0.2),
  SEAMLINE_RETRY_MIN_PER_SEC: z.coerce.number().min(0).default(10),
  SEAMLINE_RETRY_TTL_MS: z.coerce.number().int().positive().default(10_000),
  SEAMLINE_MAX_IN_FLIGHT: z.coerce.number().int().positive().default(512),
  SEAMLINE_ATTEMPT_TTL_MS: z.coerce.number().int().positive().max(86_400_000).default(60_000),
  SEAMLINE_MAX_OPEN_SAGAS: z.coerce.number().int().positive().default(1000),
  SEAMLINE_MAX_STORE_BACKLOG: z.coerce.number().int().positive().default(40),
  SEAMLINE_ANTI_ENTROPY_MS: z.coerce.number().int().min(0).default(60_000),
  SEAMLINE_ORDER_RETENTION_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(7 * 86_400_000),
  SEAMLINE_RETENTION_EVERY_MS: z.coerce.number().int().min(0).default(60_000),
  SEAMLINE_RETENTION_PAGE: z.coerce.number().int().min(1).max(10_000).default(500),
  SEAMLINE_TOMBSTONE_GRACE_MS: z.coerce.number().int().min(0).default(3_600_000),
  SEAMLINE_UNSAFE_NO_FENCING: z.enum(['on', 'off']).default('off'),
  SEAMLINE_CHAOS_STALL: z.enum(['off', 'create', 'transition', 'any']).default('off'),
  SEAMLINE_START_STEP_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
});

export interface OrderConfig {
  readonly postgres: readonly { name: string; url: string }[];
  readonly nats: readonly string[];
  readonly http: { readonly host: string; readonly port: number };
  /**
   * SEAMLINE_ADVERTISE_URL: how other replicas reach this one (followers forward POSTs to the
   * leader's). @default `http://<SEAMLINE_HTTP_HOST>:<SEAMLINE_HTTP_PORT>`
   */
  readonly advertiseUrl: string;
  readonly replicaId: string;
  readonly database: string;
  readonly busPrefix: string;
  readonly busReplicas: number;
  readonly electionBucket: string;
  readonly electionName: string;
  /**
   * SEAMLINE_LEASE_MS: how long a lease must stay unrenewed before a follower takes over; bounds
   * failover after a crash or a pause. @default 700
   */
  readonly leaseMs: number;
  /** SEAMLINE_RENEW_MS: how often the leader renews. @default 200 */
  readonly renewEveryMs: number;
  /**
   * SEAMLINE_LEASE_MARGIN_MS: the leader stops believing it leads this long before a follower
   * may take over (absorbs clock-rate drift, ~12 % with the defaults). @default 150
   */
  readonly leaseMarginMs: number | undefined;
  readonly sagaDeadlineMs: number;
  readonly redriveAfterMs: number;
  /** SEAMLINE_REDRIVE_CEILING_MS: the longest wait before a resend, however slow the replies. */
  readonly redriveCeilingMs: number;
  readonly replicaTimeoutMs: number;
  readonly logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';
  readonly otlpUrl: string | undefined;
  /** SEAMLINE_RETRY_BUDGET=off disables the budget (only to show amplification). */
  readonly retryBudgetEnabled: boolean;
  readonly retryBudget: { percentCanRetry: number; minRetriesPerSec: number; ttlMs: number };
  /** HTTP requests served at once before the edge sheds with 429. */
  readonly maxInFlight: number;
  /**
   * SEAMLINE_ATTEMPT_TTL_MS: an Idempotency-Key with no request for this long is forgotten, and
   * its request count observed as one `seamline_effect_attempts{layer="client"}` sample.
   * @default 60000
   */
  readonly attemptTtlMs: number;
  /**
   * SEAMLINE_MAX_OPEN_SAGAS: the leader answers new orders with 429 while it drives this many
   * unfinished sagas, so an arrival rate above capacity is refused at the door instead of piling
   * up sagas that then miss their deadlines. @default 1000
   */
  readonly maxOpenSagas: number;
  /**
   * SEAMLINE_MAX_STORE_BACKLOG: new orders get 429 while this many store operations queue for a
   * connection on the write quorum (QuorumStore.backlog). @default 40
   */
  readonly maxStoreBacklog: number;
  /**
   * SEAMLINE_ANTI_ENTROPY_MS: the leader runs an anti-entropy pass over the order database this
   * long after the previous one ended (sets the divergence gauge, repairs lagging replicas);
   * 0 turns it off. @default 60000
   */
  readonly antiEntropyMs: number;
  /**
   * SEAMLINE_ORDER_RETENTION_MS: a COMPLETED or CANCELLED order, and the response its
   * Idempotency-Key replays, are deleted this long after the order finished; the same key then
   * creates a new order (the idempotency window, README). 0 keeps them for ever.
   * @default 604800000 (7 days)
   */
  readonly orderRetentionMs: number;
  /**
   * SEAMLINE_RETENTION_EVERY_MS: the leader runs a retention pass this long after the previous
   * one ended; 0 turns retention off. @default 60000
   */
  readonly retentionEveryMs: number;
  /** SEAMLINE_RETENTION_PAGE: responses examined, and rows purged, per pass. @default 500 */
  readonly retentionPage: number;
  /**
   * SEAMLINE_TOMBSTONE_GRACE_MS: a tombstone (and an unreferenced batch row) is purged only when
   * older than this, and a tombstone only once every replica holds it. @default 3600000 (1 h)
   */
  readonly tombstoneGraceMs: number;
  /**
   * SEAMLINE_UNSAFE_NO_FENCING=on: TEST SWITCH, the replicas stop checking the fencing token,
   * only to show the paused-leader scenario fail without it. @default false
   */
  readonly unsafeNoFencing: boolean;
  /**
   * SEAMLINE_CHAOS_STALL=create|transition|any: TEST SWITCH, SIGUSR2 arms a self-SIGSTOP before
   * the next fenced write of that kind (orchestrator/write-stall.ts). @default 'off'
   */
  readonly chaosStall: 'off' | 'create' | 'transition' | 'any';
  /**
   * SEAMLINE_START_STEP_MS: bound of each start-up step (store, nats, bus, http, http listen,
   * election). A step that overruns fails the start naming the step; the process exits (status
   * 1) for the supervisor to start a fresh one. @default 30000
   */
  readonly startStepMs: number;
}

export function readOrderConfig(env: NodeJS.ProcessEnv): OrderConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const msgs = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid order service configuration: ${msgs.join('; ')}`);
  }
  const e = parsed.data;
  return {
    postgres: e.SEAMLINE_PG_URLS,
    nats: e.SEAMLINE_NATS_URLS,
    http: { host: e.SEAMLINE_HTTP_HOST, port: e.SEAMLINE_HTTP_PORT },
    advertiseUrl:
      e.SEAMLINE_ADVERTISE_URL ?? `http://${e.SEAMLINE_HTTP_HOST}:${e.SEAMLINE_HTTP_PORT}`,
    replicaId: e.SEAMLINE_REPLICA_ID,
    database: e.SEAMLINE_DB,
    busPrefix: e.SEAMLINE_BUS_PREFIX,
    busReplicas: e.SEAMLINE_NATS_REPLICAS ?? Math.min(3, e.SEAMLINE_NATS_URLS.length),
    electionBucket: e.SEAMLINE_ELECTION_BUCKET,
    electionName: e.SEAMLINE_ELECTION_NAME,
    leaseMs: e.SEAMLINE_LEASE_MS,
    renewEveryMs: e.SEAMLINE_RENEW_MS,
    leaseMarginMs: e.SEAMLINE_LEASE_MARGIN_MS,
    sagaDeadlineMs: e.SEAMLINE_SAGA_DEADLINE_MS,
    redriveAfterMs: e.SEAMLINE_REDRIVE_AFTER_MS,
    redriveCeilingMs: Math.max(e.SEAMLINE_REDRIVE_AFTER_MS, e.SEAMLINE_REDRIVE_CEILING_MS),
    replicaTimeoutMs: e.SEAMLINE_REPLICA_TIMEOUT_MS,
    logLevel: e.SEAMLINE_LOG_LEVEL,
    otlpUrl: e.SEAMLINE_OTLP_URL,
    maxInFlight: e.SEAMLINE_MAX_IN_FLIGHT,
    attemptTtlMs: e.SEAMLINE_ATTEMPT_TTL_MS,
    maxOpenSagas: e.SEAMLINE_MAX_OPEN_SAGAS,
    maxStoreBacklog: e.SEAMLINE_MAX_STORE_BACKLOG,
    antiEntropyMs: e.SEAMLINE_ANTI_ENTROPY_MS,
    orderRetentionMs: e.SEAMLINE_ORDER_RETENTION_MS,
    retentionEveryMs: e.SEAMLINE_RETENTION_EVERY_MS,
    retentionPage: e.SEAMLINE_RETENTION_PAGE,
    tombstoneGraceMs: e.SEAMLINE_TOMBSTONE_GRACE_MS,
    unsafeNoFencing: e.SEAMLINE_UNSAFE_NO_FENCING === 'on',
    chaosStall: e.SEAMLINE_CHAOS_STALL,
    startStepMs: e.SEAMLINE_START_STEP_MS,
    retryBudgetEnabled: e.SEAMLINE_RETRY_BUDGET === 'on',
    retryBudget: {
      percentCanRetry: e.SEAMLINE_RETRY_PERCENT,
      minRetriesPerSec: e.SEAMLINE_RETRY_MIN_PER_SEC,
      ttlMs: e.SEAMLINE_RETRY_TTL_MS,
    },
  };
}
