/**
 * The command line every bench shares: one usage error, whole-number flags validated with the
 * flag named, and reading argv once (a usage error prints the message and the usage, status 2;
 * --help prints the usage, status 0).
 */
import { randomBytes } from 'node:crypto';

export class BenchUsageError extends Error {
  readonly code = 'BENCH_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'BenchUsageError';
  }
}

/** `raw` as a whole number in `min..max`, or a usage error naming `--flag`. */
export function wholeNumber(
  flag: string,
  raw: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`;
    throw new BenchUsageError(`--${flag} must be a whole number ${range}, got ${raw}`);
  }
  return n;
}

/**
 * Parses this process's arguments with `parse` (given a random seed for when none is asked
 * for); exits on a usage error or --help.
 */
export function readBenchArgs<T extends { help: boolean }>(
  bench: string,
  usage: string,
  parse: (argv: readonly string[], randomSeed: number) => T,
): T {
  let options: T;
  try {
    options = parse(process.argv.slice(2), randomBytes(4).readUInt32BE() % 100_000);
  } catch (error) {
    if (!(error instanceof BenchUsageError)) throw error;
    process.stderr.write(`${bench}: ${error.message}\n${usage}\n`);
    process.exit(2);
  }
  if (options.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  return options;
}

/**
 * What SIGINT or SIGTERM stops: the system under test at that moment (`current`). The first
 * signal stops it and exits with 130; a second exits at once.
 */
export class SignalStop {
  /** Stops the system under test now; undefined while nothing runs. */
  current: (() => Promise<void>) | undefined;
  #interrupted = false;

  constructor(say: (line: string) => void) {
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.#interrupted) process.exit(130);
      this.#interrupted = true;
      say(`${signal}: stopping what the bench started (again to exit at once)...`);
      void (this.current?.() ?? Promise.resolve()).finally(() => process.exit(130));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  get interrupted(): boolean {
    return this.#interrupted;
  }
}
