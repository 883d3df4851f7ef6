/**
 * The one error of configuration loading. It is terminal (a process with a bad environment
 * must not start, and restarting it changes nothing), so main exits with status 2, and its
 * message always names the variable to fix.
 */
export class InvalidConfigError extends Error {
  readonly code = 'INVALID_CONFIG' as const;
  readonly retryable = false as const;

  constructor(
    /** The environment variable at fault, e.g. `SEAMLINE_PG_URLS`. */
    readonly variable: string,
    /** What is wrong with it, without the variable name. */
    readonly problem: string,
  ) {
    super(`invalid configuration: ${variable}: ${problem}`);
    this.name = 'InvalidConfigError';
  }
}
