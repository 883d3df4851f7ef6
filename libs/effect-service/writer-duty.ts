import type { EffectWriterObserver, FencedEffectWriter, TermStore } from '@seamline/idempotency';
import { WriterTerms } from '@seamline/idempotency';
import type { Logger } from '@seamline/observability';
import { FencedError } from '@seamline/quorum-store';

export interface WriterDutyOptions {
  /** Names the writer in log lines (`payment writer active`). */
  readonly service: string;
  readonly writer: FencedEffectWriter;
  readonly store: TermStore;
  readonly log: Logger;
  /** True once the service is closing: a lost lease is then a step-down, not a fatal stop. */
  readonly closing: () => boolean;
  /** Called once when this process must stop writing for good. @default nothing */
  readonly onFatal?: (reason: string) => void;
}

/**
 * The writer's side of the election: each token starts a writer term (fence installed,
 * predecessor's leftovers repaired), the first active term starts the command consumer, and
 * a fenced write or a lost lease stops the writer for good (one `writer-stopped` error line,
 * then `onFatal`), so the process never writes under a token it no longer holds.
 */
export class WriterDuty {
  /** Resolves once this process is the writer and consumes commands. */
  readonly ready: Promise<void>;
  readonly #o: WriterDutyOptions;
  readonly #terms: WriterTerms;
  #markReady!: () => void;
  #consume: (() => Promise<void>) | undefined;
  #consumeStarted = false;
  #consuming = false;
  #fatal = false;
  #electedAt = 0;

  constructor(options: WriterDutyOptions) {
    this.#o = options;
    const { log, service } = options;
    this.ready = new Promise<void>((resolve) => {
      this.#markReady = resolve;
    });
    this.#terms = new WriterTerms({
      writer: options.writer,
      store: options.store,
      onError: (err, token) => {
        log.warn({ token, err: (err as Error).message }, 'starting the writer term failed');
        this.onWriteError(err);
      },
      onActive: (token) => {
        // How long the term took to start (the fence; no scan, ADR 0015): a start-up milestone.
        const durationMs = Math.round(performance.now() - this.#electedAt);
        log.info({ token, durationMs }, `${service} writer active`);
        this.#startConsuming(token);
      },
    });
  }

  /** How to start consuming commands; it runs once, when the first term becomes active. */
  consumeWith(start: () => Promise<void>): void {
    this.#consume = start;
  }

  /** True once this process is the domain's writer and consumes its commands. */
  isReady(): boolean {
    return this.#consuming && this.#o.writer.token !== undefined;
  }

  /** The election handed this process `token`. */
  elected(token: number): void {
    this.#electedAt = performance.now();
    this.#o.log.info({ token }, `elected ${this.#o.service} writer`);
    void this.#terms.begin(token);
  }

  /** The lease is gone: fatal, unless the service is stepping down on purpose. */
  lost(reason: string): void {
    if (this.#o.closing()) this.#terms.end();
    else this.#stop(`lease lost (${reason})`, {});
  }

  /** Every error escaping a write goes here first: a FencedError stops the writer. */
  onWriteError(err: unknown): void {
    if (err instanceof FencedError) {
      this.#stop('fenced', {
        domain: err.domain,
        staleToken: err.staleToken,
        installedToken: err.installedToken,
        replica: err.replica,
      });
    }
  }

  #startConsuming(token: number): void {
    const consume = this.#consume;
    if (this.#consumeStarted || consume === undefined) return;
    this.#consumeStarted = true;
    consume()
      .then(() => {
        this.#consuming = true;
        this.#o.log.info({ token }, `${this.#o.service} ready`);
        this.#markReady();
      })
      .catch((err: unknown) => {
        if (!this.#o.closing()) this.#stop('bus failed to start', { err: (err as Error).message });
      });
  }

  #stop(reason: string, fields: Record<string, unknown>): void {
    this.#terms.end();
    if (this.#fatal) return;
    this.#fatal = true;
    this.#o.log.error(
      { event: 'writer-stopped', reason, ...fields },
      `${this.#o.service} writer stopped: ${reason}`,
    );
    this.#o.onFatal?.(reason);
  }
}

/** Effect-writer hooks: a write left indeterminate is parked, and re-driven before the next. */
export function writerLogObserver(log: Logger): EffectWriterObserver {
  return {
    onPending: (domain) =>
      log.warn({ domain }, 'effect write left indeterminate; parked for re-drive'),
    onRedrive: (domain) => log.info({ domain }, 're-driving a parked effect write'),
  };
}
