import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Type } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type { JetStreamServerOptions } from '@seamline/bus';
import type { ElectionBucketOptions, LeaseKv } from '@seamline/election';
import type { LedgerService } from '@seamline/audit';
import type { FencedEffectWriter, IdempotentEffects } from '@seamline/idempotency';
import type { Logger, SeamlineMetrics } from '@seamline/observability';
import type { QuorumStore } from '@seamline/quorum-store';
import type { DestinationStream } from 'pino';
import type { DuplicateEffectDetector } from './duplicate-effect-detector.ts';
import type { SeedSpec } from './seed-records.ts';

/** What one effect service is made of; everything else is shared. */
export interface EffectServiceSpec<E, S> {
  /** Bus service name, log `service`, dedup metric label; the writer lease is `<service>-writer`. */
  readonly service: string;
  /** The quorum-store domain this service's single writer owns. */
  readonly domain: string;
  /**
   * Whose ledger (`ledger:<effectKey>` records, the auditor's schema) this service writes: the
   * duplicate-effect detector checks it with the auditor's rule.
   */
  readonly ledger: LedgerService;
  /** Payload schema of every bus handler, by pattern (`payment.charge`). */
  readonly commands: JetStreamServerOptions['schemas'];
  /** The service's use cases over the idempotent effect runner. */
  readonly effects: (idempotent: IdempotentEffects, log: Logger) => E;
  /** Nest controllers of the bus handlers; they inject `EFFECT_SERVICE_RUNTIME`. */
  readonly handlers: readonly Type[];
  /** `POST /admin/seed`. */
  readonly seed: SeedSpec<S>;
}

export interface EffectServiceOptions {
  /**
   * Called once when this process must stop writing for good (fenced by a newer writer, lease
   * lost). main.ts exits the process so the supervisor restarts it with a fresh campaign.
   * @default nothing beyond the log line (the writer is already deactivated)
   */
  readonly onFatal?: (reason: string) => void;
  /** Extra bus server options (tests: faults, backoff). @default {} */
  readonly bus?: Partial<JetStreamServerOptions>;
  /** @default a fresh registry */
  readonly metrics?: SeamlineMetrics;
  /** Log destination (tests capture lines). @default stdout */
  readonly logDestination?: DestinationStream;
  /** Interval of the consumer-lag poll. @default 5000 */
  readonly lagPollMs?: number;
  /**
   * How often effect keys idle past `attemptTtlMs` are forgotten and observed; bounds how late
   * a key's `seamline_effect_attempts{layer="downstream"}` sample comes. @default 5000
   */
  readonly attemptSweepMs?: number;
  /**
   * TEST SEAM: the bucket the writer election campaigns in, given the election's connection
   * and bucket options (tests wrap `openElectionBucket` to play a replica that diverged or a
   * stream that does not answer). @default the bucket itself
   */
  readonly electionKv?: (nats: NatsConnection, bucket: ElectionBucketOptions) => Promise<LeaseKv>;
}

/** A started effect service. */
export interface EffectService {
  readonly app: NestFastifyApplication;
  /** Base URL of the HTTP side, e.g. `http://127.0.0.1:3100`. */
  readonly url: string;
  readonly metrics: SeamlineMetrics;
  readonly store: QuorumStore;
  readonly writer: FencedEffectWriter;
  /** The writer's duplicate-effect check (passes, orders waiting); tests wait on it. */
  readonly duplicates: DuplicateEffectDetector;
  /** Resolves once this process is the writer and consumes commands. */
  readonly ready: Promise<void>;
  /** Graceful stop: drain handlers, step down, close connections. Idempotent. */
  close(): Promise<void>;
}
