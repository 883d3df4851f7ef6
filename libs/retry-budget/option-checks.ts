// Options are validated once, at construction, and the failure names the field so a bad
// config fails at start-up instead of as a silent storm later.

/** Thrown at construction when an option is out of range; names the offending field. */
export class InvalidOptionError extends RangeError {
  readonly code = 'INVALID_OPTION' as const;
  readonly field: string;

  constructor(field: string, requirement: string, value: unknown) {
    super(`${field} must be ${requirement} (got ${String(value)})`);
    this.name = 'InvalidOptionError';
    this.field = field;
  }
}

export function finiteAtLeast(field: string, value: number, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new InvalidOptionError(field, `a finite number >= ${min}`, value);
  }
  return value;
}

export function finitePositive(field: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidOptionError(field, 'a finite number > 0', value);
  }
  return value;
}

export function integerAtLeast(field: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new InvalidOptionError(field, `an integer >= ${min}`, value);
  }
  return value;
}

export function isFunction(field: string, value: unknown): void {
  if (typeof value !== 'function') {
    throw new InvalidOptionError(field, 'a function', value);
  }
}
