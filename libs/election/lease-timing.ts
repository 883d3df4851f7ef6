/** Lease timing; every value is a duration on the local clock of the node using it. */
export interface LeaseTiming {
  /**
   * How long an entry must stay unchanged, on an observer's clock, before the observer may
   * take the lease over. Bounds failover after a crash.
   * @default 3_000
   */
  leaseMs: number;
  /** How often the holder renews. Must leave room for a few renewals per lease. @default 1_000 */
  renewEveryMs: number;
  /**
   * The holder stops believing it leads this long before an observer could take over.
   * Absorbs clock-rate drift between nodes: safe while drift rho satisfies
   * (leaseMs - safetyMarginMs) x (1 + rho) < leaseMs x (1 - rho).
   * @default 500
   */
  safetyMarginMs: number;
}

export const DEFAULT_LEASE_TIMING: Readonly<LeaseTiming> = Object.freeze({
  leaseMs: 3_000,
  renewEveryMs: 1_000,
  safetyMarginMs: 500,
});

/** Thrown at construction when an option is out of range; names the offending field. */
export class InvalidElectionOptionError extends RangeError {
  readonly code = 'INVALID_OPTION' as const;
  readonly field: string;

  constructor(field: string, requirement: string, value: unknown) {
    super(`${field} must be ${requirement} (got ${String(value)})`);
    this.name = 'InvalidElectionOptionError';
    this.field = field;
  }
}

/** Fills defaults and validates once; the failure names the field. */
export function leaseTiming(partial: Partial<LeaseTiming> = {}): LeaseTiming {
  const t = { ...DEFAULT_LEASE_TIMING, ...partial };
  const positive = (field: keyof LeaseTiming) => {
    if (!Number.isFinite(t[field]) || t[field] <= 0) {
      throw new InvalidElectionOptionError(field, 'a finite number > 0', t[field]);
    }
  };
  positive('leaseMs');
  positive('renewEveryMs');
  if (!Number.isFinite(t.safetyMarginMs) || t.safetyMarginMs < 0 || t.safetyMarginMs >= t.leaseMs) {
    throw new InvalidElectionOptionError('safetyMarginMs', 'in [0, leaseMs)', t.safetyMarginMs);
  }
  // A holder that renews no faster than its belief expires would flap on every renewal.
  if (t.renewEveryMs >= t.leaseMs - t.safetyMarginMs) {
    throw new InvalidElectionOptionError(
      'renewEveryMs',
      `< leaseMs - safetyMarginMs (${t.leaseMs - t.safetyMarginMs})`,
      t.renewEveryMs,
    );
  }
  return t;
}

/** The clock-rate drift a timing tolerates: the largest rho keeping the lease exclusive. */
export function toleratedDrift(t: LeaseTiming): number {
  return t.safetyMarginMs / (2 * t.leaseMs - t.safetyMarginMs);
}
