/**
 * Entry points (CLI, `npm test`, the vitest global setup) may point at another stack through
 * the environment, so a CI job or a second checkout runs beside the default stack:
 * SEAMLINE_STACK_ROOT (directory), SEAMLINE_STACK_OFFSET (added to every port),
 * SEAMLINE_STACK_NATS (cluster | single). The library functions themselves never read env.
 */
import type { NatsMode, StackOptions } from './options.ts';

export function stackOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): StackOptions {
  const options: StackOptions = {};
  if (env.SEAMLINE_STACK_ROOT) options.root = env.SEAMLINE_STACK_ROOT;
  if (env.SEAMLINE_STACK_OFFSET) {
    const offset = Number(env.SEAMLINE_STACK_OFFSET);
    if (!Number.isInteger(offset)) {
      throw new TypeError(
        `SEAMLINE_STACK_OFFSET must be an integer, got ${env.SEAMLINE_STACK_OFFSET}`,
      );
    }
    options.offset = offset;
  }
  const nats = env.SEAMLINE_STACK_NATS;
  if (nats) {
    if (nats !== 'cluster' && nats !== 'single') {
      throw new TypeError(`SEAMLINE_STACK_NATS must be cluster or single, got ${nats}`);
    }
    options.nats = nats as NatsMode;
  }
  return options;
}
