/**
 * What every failover scenario does as a command (`npm run chaos -- <name> [options]`): parse
 * the common options, hold the stack (starting it when nothing runs, stopping it again only if
 * this command started it), print the seed first so a failure can be replayed, run the scenario
 * and map its verdict to an exit code (0 ok, 1 an invariant or check failed, 2 could not run).
 */
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { stackOptionsFromEnv } from '../../infra/stack/env-options.ts';
import type { StackEndpoints, StackOptions } from '../../infra/stack/index.ts';
import { endpoints, holdStack } from '../../infra/stack/index.ts';
import { parseSeed } from './seeded-random.ts';

export interface ScenarioContext {
  readonly stack: StackEndpoints;
  readonly stackOptions: StackOptions;
  readonly seed: number;
  /** Keep the run's processes' data (databases, streams) for inspection. */
  readonly keep: boolean;
  readonly values: Record<string, string | boolean | undefined>;
  readonly log: (line: string) => void;
}

export interface ScenarioCommand {
  readonly name: string;
  readonly usage: string;
  readonly options: NonNullable<ParseArgsConfig['options']>;
  /** Returns true when every check held. */
  readonly run: (ctx: ScenarioContext) => Promise<boolean>;
}

const COMMON = {
  seed: { type: 'string' },
  keep: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function runScenarioCommand(argv: string[], cmd: ScenarioCommand): Promise<number> {
  const usage = `usage: npm run chaos -- ${cmd.name} [--seed N] [--keep] ${cmd.usage}`;
  let values: ScenarioContext['values'];
  let seed: number;
  try {
    ({ values } = parseArgs({ args: argv, options: { ...COMMON, ...cmd.options } }));
    seed = parseSeed(values.seed as string | undefined);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${usage}\n`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const log = (line: string) => process.stdout.write(`[${cmd.name}] ${line}\n`);
  log(`seed ${seed} (replay with --seed ${seed})`);
  const stackOptions = stackOptionsFromEnv();
  const hold = await holdStack({
    ...stackOptions,
    purpose: `chaos ${cmd.name}`,
    log: (line) => log(`stack: ${line}`),
  });
  try {
    const ok = await cmd.run({
      stack: endpoints(stackOptions),
      stackOptions,
      seed,
      keep: values.keep === true,
      values,
      log,
    });
    log(ok ? 'PASS' : `FAIL (seed ${seed})`);
    return ok ? 0 : 1;
  } catch (err) {
    log(`could not run: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 2;
  } finally {
    await hold.release().catch(() => {});
  }
}

/** A positive integer option, or the default. */
export function intOption(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new TypeError(`--${name} must be a positive integer`);
  return n;
}
