import type { FencedEffectWriter } from '@seamline/idempotency';
import type { Logger, SeamlineMetrics } from '@seamline/observability';
import type { EffectArrivals } from './effect-arrivals.ts';

/** What `POST /admin/seed` answers: records it created and records it found already there. */
export interface SeedReport {
  readonly created: number;
  readonly existing: number;
}

/**
 * What the controllers need from the running service; built once by `startEffectService` and
 * injected with `@Inject(EFFECT_SERVICE_RUNTIME)`. `E` is the service's own use cases.
 */
export interface EffectServiceRuntime<E> {
  /** `payment`, `inventory`: names the writer in logs and readiness answers. */
  readonly service: string;
  readonly effects: E;
  readonly writer: FencedEffectWriter;
  readonly metrics: SeamlineMetrics;
  readonly log: Logger;
  /** Arrivals per effect key at this service's handlers (the downstream layer of attempts). */
  readonly arrivals: EffectArrivals;
  /** True once this process is the domain's writer and consumes its commands. */
  isReady(): boolean;
  /** Every error escaping a write goes here first: a FencedError stops the process. */
  onWriteError(err: unknown): void;
  /** Validates a seed request body (a 400 problem names the field) and applies it. */
  seed(body: unknown): Promise<SeedReport>;
}
