/**
 * Global setup of the integration project: make sure the default stack is up (starting it if
 * nothing runs, in which case the last holder takes it down again at teardown), then hand its
 * endpoints to the tests as `inject('stack')`. SEAMLINE_STACK_ROOT / _OFFSET / _NATS select
 * another stack (see env-options.ts).
 */
import type { TestProject } from 'vitest/node';
import { stackOptionsFromEnv } from './env-options.ts';
import { endpoints, holdStack } from './index.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const options = stackOptionsFromEnv();
  const hold = await holdStack({
    ...options,
    purpose: 'vitest integration',
    log: (line) => process.stderr.write(`stack: ${line}\n`),
  });
  if (hold.started) process.stderr.write('stack: started for this run; stops again at the end\n');
  project.provide('stack', endpoints(options));
  return async () => {
    const { down } = await hold.release();
    if (down) process.stderr.write('stack: stopped (started for this run)\n');
  };
}
