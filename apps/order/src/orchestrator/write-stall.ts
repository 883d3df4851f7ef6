/**
 * A test-only fault point for the paused-leader scenario (chaos/scenarios/pause-leader.ts).
 *
 * A leader is dangerous in exactly one window: after it decided a write under its token and
 * before the write reaches the replicas. A SIGSTOP sent from outside lands there only by luck
 * (on resume this process usually learns it was superseded from the KV watch before it writes
 * again), so the scenario asks the leader to stop itself *inside* that window: once armed, the
 * next matching write sends SIGSTOP to this very process, synchronously, before the write is
 * sent. Everything else is a real pause: the lease runs out, a successor is elected, fences the
 * replicas and drives sagas on, and on SIGCONT this process carries on with its stale write.
 *
 * Off unless SEAMLINE_CHAOS_STALL names a write kind; armed by SIGUSR2 (see main.ts).
 */
import type { Logger } from '@seamline/observability';
import type { FencedWriteIntent } from './orchestrator.ts';

export type StallTarget = 'create' | 'transition' | 'any';

export class WriteStall {
  private armed = false;

  constructor(
    private readonly target: StallTarget,
    private readonly log: Logger,
    /** Stops the process; injected so a unit test can observe it instead. */
    private readonly stop: () => void = () => process.kill(process.pid, 'SIGSTOP'),
  ) {}

  /** The next matching write stops the process (once). */
  arm(): void {
    this.armed = true;
    this.log.warn({ target: this.target }, 'chaos: write stall armed');
  }

  get isArmed(): boolean {
    return this.armed;
  }

  /** Orchestrator hook: runs synchronously between deciding a write and sending it. */
  readonly beforeWrite = (write: FencedWriteIntent): void => {
    if (!this.armed || (this.target !== 'any' && this.target !== write.kind)) return;
    this.armed = false;
    this.log.warn(
      { sagaId: write.sagaId, write: write.kind, token: write.token },
      'chaos: stopping this process before a fenced write',
    );
    this.log.flush?.();
    this.stop();
  };
}
