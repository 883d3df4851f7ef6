import { FencedError } from '@seamline/quorum-store';
import type { FencedEffectWriter } from './effect-writer.ts';

/** The part of the quorum store a new term needs (QuorumStore satisfies it). */
export interface TermStore {
  /** Installs a fence for a new term; its token (never below an installed one) is the term's. */
  claimFence(domain: string, proposed: number): Promise<{ token: number; acks: number }>;
}

export interface WriterTermOptions {
  readonly writer: FencedEffectWriter;
  readonly store: TermStore;
  /** Pause between attempts to start a term while the replicas do not answer. @default 250 */
  readonly retryDelayMs?: number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** The writer accepts effects under `token` from now on. */
  readonly onActive?: (token: number) => void;
  /** A step failed and will be retried (or, for a FencedError, the term is abandoned). */
  readonly onError?: (err: unknown, token: number) => void;
}

/**
 * Starts and ends the writer's terms as the election hands out tokens. A new term, before its
 * first write: (1) claims a fence on N - W + 1 replicas, so no W acks can be gathered by an
 * older token (or the same token of another holder) any more; its token is the election's unless
 * that is not above an installed fence (ADR 0010), and the writer writes and reads with it;
 * (2) activates the writer with an empty cache. Nothing is scanned: the writer reads each key it
 * decides on through the fence, which sees every batch of the predecessor that can still collect
 * W acks, and whole, since batches are atomic per replica and a read takes each key's newest
 * version. Convergence of the replicas is the background anti-entropy's job (ADR 0015), so a
 * takeover costs the same however long the history is. A term superseded while starting is
 * simply dropped.
 */
export class WriterTerms {
  private readonly o: WriterTermOptions;
  private starting: number | undefined;

  constructor(options: WriterTermOptions) {
    this.o = options;
  }

  /**
   * Call when elected with `token`. Resolves once active (with the claimed token), or when
   * superseded or fenced (see onError).
   */
  async begin(token: number): Promise<void> {
    const { writer, store } = this.o;
    writer.deactivate();
    this.starting = token;
    const sleep = this.o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    while (this.starting === token) {
      try {
        const fence = await store.claimFence(writer.domain, token);
        if (this.starting !== token) return;
        this.starting = undefined;
        writer.activate(fence.token);
        this.o.onActive?.(fence.token);
        return;
      } catch (err) {
        this.o.onError?.(err, token);
        if (err instanceof FencedError) {
          if (this.starting === token) this.starting = undefined;
          return;
        }
        await sleep(this.o.retryDelayMs ?? 250);
      }
    }
  }

  /** Call when the lease is lost: no write leaves this process from now on. */
  end(): void {
    this.starting = undefined;
    this.o.writer.deactivate();
  }
}
