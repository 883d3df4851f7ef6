/**
 * Command line of `npm run bench:profile`, validated once; a bad value names its flag.
 */
import { parseArgs } from 'node:util';
import { BenchUsageError, wholeNumber } from '../peer/bench-cli.ts';

export const PROFILE_USAGE = `usage: npm run bench:profile -- [options]
  --clients N            closed-loop clients while profiling (default 50)
  --seconds N            length of the profiled level (default 20)
  --warmup N             unprofiled seconds of load before it (default 5)
  --order-replicas N     order replicas (default 2)
  --interval-us N        CPU profile sampling interval in microseconds (default 1000)
  --top N                rows of the top self-time table per service (default 15)
  --seed N               seed of the order mix (default: random, printed)
  --out DIR              parent of the run's folder (default .seamline/bench/profile);
                         the run writes <DIR>/<timestamp>/ (flame graphs, .cpuprofile files,
                         summary.md)
  --docs                 also write docs/flame-order-leader.svg, docs/flame-payment.svg and the
                         bench:profile section of docs/benchmarks.md
  -h, --help             this text

The stack comes from SEAMLINE_STACK_OFFSET and SEAMLINE_STACK_ROOT, as for npm run stack.`;

export interface ProfileOptions {
  clients: number;
  seconds: number;
  warmupSeconds: number;
  orderReplicas: number;
  intervalUs: number;
  top: number;
  seed: number;
  outDir: string;
  docs: boolean;
  help: boolean;
}

export function parseProfileArgs(argv: readonly string[], randomSeed: number): ProfileOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: false,
      options: {
        clients: { type: 'string', default: '50' },
        seconds: { type: 'string', default: '20' },
        warmup: { type: 'string', default: '5' },
        'order-replicas': { type: 'string', default: '2' },
        'interval-us': { type: 'string', default: '1000' },
        top: { type: 'string', default: '15' },
        seed: { type: 'string' },
        out: { type: 'string', default: '.seamline/bench/profile' },
        docs: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new BenchUsageError((error as Error).message);
  }
  const { values } = parsed;
  if (values.out.trim() === '') throw new BenchUsageError('--out must name a folder');
  return {
    clients: wholeNumber('clients', values.clients, 1, 10_000),
    seconds: wholeNumber('seconds', values.seconds, 1, 3_600),
    warmupSeconds: wholeNumber('warmup', values.warmup, 0, 3_600),
    orderReplicas: wholeNumber('order-replicas', values['order-replicas'], 1, 9),
    // Below 50 µs the sampler itself becomes the load.
    intervalUs: wholeNumber('interval-us', values['interval-us'], 50, 100_000),
    top: wholeNumber('top', values.top, 1, 200),
    seed: values.seed === undefined ? randomSeed : wholeNumber('seed', values.seed, 0),
    outDir: values.out,
    docs: values.docs,
    help: values.help,
  };
}
