/**
 * The consistency-swap bench's command line and the three store configurations it compares
 * (design brief, failure scenario 5). Parsed once at start-up; a bad value fails naming its flag.
 */
import { parseArgs } from 'node:util';
import type { Consistency } from '@seamline/quorum-store';
import { parseSeed } from '../chaos/support/seeded-random.ts';

/** One configuration of inventory's store, all at N = 3. */
export interface SwapMode {
  readonly consistency: Consistency;
  readonly writeQuorum: number;
  readonly readQuorum: number;
}

/** eventual W=1 R=1 (R + W <= N), quorum W=2 R=2, linearizable W=2 R=2 plus ABD write-back. */
export const SWAP_MODES: readonly SwapMode[] = [
  { consistency: 'eventual', writeQuorum: 1, readQuorum: 1 },
  { consistency: 'quorum', writeQuorum: 2, readQuorum: 2 },
  { consistency: 'linearizable', writeQuorum: 2, readQuorum: 2 },
];

export interface ConsistencySwapOptions {
  /** Reserves started per second (open loop), in every mode and phase. @default 50 */
  readonly rate: number;
  /** Length of each phase of each mode. @default 8 */
  readonly seconds: number;
  /**
   * Length of the phase right after the paused replicas resume: at least the store's 10 s cap on
   * ejection backoff, so every resumed replica is probed again, and answers, within it.
   * @default 12
   */
  readonly healedSeconds: number;
  /** Skus the reserves spread over, uniformly. @default 300 */
  readonly skus: number;
  /** Hard limit on one replica's answer (the store's own default). @default 1000 */
  readonly replicaTimeoutMs: number;
  /** Seed of every random choice (skus, quantities, paused replicas). @default a fresh one */
  readonly seed: number;
}

function positive(flag: string, text: string, { integer }: { integer: boolean }): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new TypeError(
      `--${flag} must be a positive ${integer ? 'integer' : 'number'}, got ${text}`,
    );
  }
  return n;
}

/** Parses `args` (without node and the script); throws naming the first bad flag. */
export function parseConsistencySwapArgs(args: readonly string[]): ConsistencySwapOptions {
  const { values } = parseArgs({
    args: [...args],
    strict: true,
    options: {
      rate: { type: 'string', default: '50' },
      seconds: { type: 'string', default: '8' },
      'healed-seconds': { type: 'string', default: '12' },
      skus: { type: 'string', default: '300' },
      'replica-timeout-ms': { type: 'string', default: '1000' },
      seed: { type: 'string' },
    },
  });
  return {
    rate: positive('rate', values.rate, { integer: false }),
    seconds: positive('seconds', values.seconds, { integer: false }),
    healedSeconds: positive('healed-seconds', values['healed-seconds'], { integer: false }),
    skus: positive('skus', values.skus, { integer: true }),
    replicaTimeoutMs: positive('replica-timeout-ms', values['replica-timeout-ms'], {
      integer: true,
    }),
    seed: parseSeed(values.seed),
  };
}
