/**
 * Ejection of failing replicas, with backoff. A replica that fails `failuresToEject` times in a
 * row is skipped until its backoff elapses, then probed by the next operation; every further
 * failure doubles the backoff up to a cap. Ejection never leaves fewer than `minHealthy`
 * replicas in play, so a quorum can always still be asked (if a quorum exists at all).
 */
export interface EjectionOptions {
  /** Consecutive failures before a replica is ejected. @default 3 */
  readonly failuresToEject: number;
  /** First backoff after ejection. @default 500 */
  readonly baseBackoffMs: number;
  /** Cap on the backoff. @default 10000 */
  readonly maxBackoffMs: number;
}

export const DEFAULT_EJECTION: EjectionOptions = {
  failuresToEject: 3,
  baseBackoffMs: 500,
  maxBackoffMs: 10_000,
};

interface Health {
  consecutiveFailures: number;
  ejections: number;
  ejectedUntil: number | undefined;
}

export type EjectionListener = (replica: string, ejected: boolean) => void;

export class ReplicaHealth {
  private readonly health = new Map<string, Health>();

  constructor(
    names: readonly string[],
    private readonly options: EjectionOptions,
    private readonly minHealthy: number,
    private readonly clock: () => number,
    private readonly onChange: EjectionListener = () => {},
  ) {
    for (const name of names) {
      this.health.set(name, { consecutiveFailures: 0, ejections: 0, ejectedUntil: undefined });
    }
  }

  /** Replicas an operation should contact now: the healthy ones plus any whose backoff elapsed. */
  eligible(): string[] {
    const now = this.clock();
    return [...this.health.entries()]
      .filter(([, h]) => h.ejectedUntil === undefined || h.ejectedUntil <= now)
      .map(([name]) => name);
  }

  isEjected(name: string): boolean {
    const h = this.get(name);
    return h.ejectedUntil !== undefined && h.ejectedUntil > this.clock();
  }

  recordSuccess(name: string): void {
    const h = this.get(name);
    const wasEjected = h.ejectedUntil !== undefined;
    h.consecutiveFailures = 0;
    h.ejections = 0;
    h.ejectedUntil = undefined;
    if (wasEjected) this.onChange(name, false);
  }

  recordFailure(name: string): void {
    const h = this.get(name);
    h.consecutiveFailures += 1;
    const probing = h.ejectedUntil !== undefined;
    if (!probing && h.consecutiveFailures < this.options.failuresToEject) return;
    if (!probing && this.inPlay() - 1 < this.minHealthy) return;
    const backoff = Math.min(
      this.options.maxBackoffMs,
      this.options.baseBackoffMs * 2 ** Math.min(h.ejections, 30),
    );
    h.ejections += 1;
    h.ejectedUntil = this.clock() + backoff;
    if (!probing) this.onChange(name, true);
  }

  private inPlay(): number {
    let n = 0;
    for (const h of this.health.values()) if (h.ejectedUntil === undefined) n += 1;
    return n;
  }

  private get(name: string): Health {
    const h = this.health.get(name);
    if (h === undefined) throw new Error(`unknown replica ${name}`);
    return h;
  }
}
