/**
 * Command line of `npm run bench:peer`, validated once; a bad value names its flag.
 */
import { parseArgs } from 'node:util';
import { BenchUsageError, wholeNumber } from './bench-cli.ts';

export const PEER_USAGE = `usage: npm run bench:peer -- [options]
  --levels 1,10,50,100   closed-loop client counts, one level after the other
  --seconds N            length of each level (default 30)
  --warmup N             unmeasured seconds before the first level of each system (default 5)
  --quick                levels 1,10, 5 s each, 1 s warm-up (a smoke run; flags given override)
  --partitions default,2 Restate configurations: its defaults and/or --default-num-partitions N
  --systems seamline,restate   which systems to run (both by default)
  --order-replicas N     Seamline order replicas (default 2)
  --seed N               seed of the order mix (default: random, printed)
  --out DIR              where the report goes (default .seamline/bench)
  --docs                 also write the table into docs/benchmarks.md`;

export type System = 'seamline' | 'restate';

/** A Restate configuration: its defaults, or a number of partitions. */
export type RestateConfig = 'default' | number;

export interface PeerOptions {
  levels: number[];
  seconds: number;
  warmupSeconds: number;
  quick: boolean;
  restateConfigs: RestateConfig[];
  systems: System[];
  orderReplicas: number;
  seed: number;
  outDir: string;
  docs: boolean;
  help: boolean;
}

function list(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function parsePeerArgs(argv: readonly string[], randomSeed: number): PeerOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        levels: { type: 'string' },
        seconds: { type: 'string' },
        warmup: { type: 'string' },
        quick: { type: 'boolean', default: false },
        partitions: { type: 'string', default: 'default,2' },
        systems: { type: 'string', default: 'seamline,restate' },
        'order-replicas': { type: 'string', default: '2' },
        seed: { type: 'string' },
        out: { type: 'string', default: '.seamline/bench' },
        docs: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new BenchUsageError((error as Error).message);
  }
  const quick = values.quick;
  const levels = list(values.levels ?? (quick ? '1,10' : '1,10,50,100')).map((l) =>
    wholeNumber('levels', l, 1),
  );
  if (levels.length === 0) throw new BenchUsageError('--levels names no level');
  const systems = list(values.systems).map((s) => {
    if (s !== 'seamline' && s !== 'restate') {
      throw new BenchUsageError(`--systems takes seamline and/or restate, got ${s}`);
    }
    return s as System;
  });
  if (systems.length === 0) throw new BenchUsageError('--systems names no system');
  const restateConfigs = list(values.partitions).map((p): RestateConfig =>
    p === 'default' ? 'default' : wholeNumber('partitions', p, 1),
  );
  if (systems.includes('restate') && restateConfigs.length === 0) {
    throw new BenchUsageError('--partitions names no Restate configuration');
  }
  return {
    levels,
    seconds: wholeNumber('seconds', values.seconds ?? (quick ? '5' : '30'), 1),
    warmupSeconds: wholeNumber('warmup', values.warmup ?? (quick ? '1' : '5'), 0),
    quick,
    restateConfigs,
    systems,
    orderReplicas: wholeNumber('order-replicas', values['order-replicas'], 1),
    seed: values.seed === undefined ? randomSeed : wholeNumber('seed', values.seed, 0),
    outDir: values.out,
    docs: values.docs,
    help: values.help,
  };
}

export function configLabel(config: RestateConfig): string {
  return config === 'default' ? 'Restate (defaults)' : `Restate (${config} partitions)`;
}
