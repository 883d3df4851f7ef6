/**
 * `npm test`: bring the default stack up (or join a running one), run vitest with the given
 * arguments, then leave the stack as it was found: a stack this run started is stopped again
 * (unless another run still holds it). Exits with vitest's exit code; Ctrl-C and SIGTERM also
 * tear down. SEAMLINE_STACK_ROOT / _OFFSET / _NATS select another stack (stack/env-options.ts).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { stackOptionsFromEnv } from './stack/env-options.ts';
import { holdStack } from './stack/index.ts';
import { REPO_ROOT } from './stack/options.ts';

const log = (line: string) => process.stderr.write(`stack: ${line}\n`);

let interrupted: NodeJS.Signals | undefined;
let vitest: ChildProcess | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interrupted = signal;
    // Ctrl-C reaches vitest through the terminal already; a SIGTERM sent to us is forwarded.
    if (signal === 'SIGTERM') vitest?.kill('SIGTERM');
  });
}

const exitCodeOf = (signal: NodeJS.Signals) => 128 + (os.constants.signals[signal] ?? 0);

let hold: Awaited<ReturnType<typeof holdStack>>;
try {
  hold = await holdStack({ ...stackOptionsFromEnv(), purpose: 'npm test', log });
} catch (error) {
  log(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
log(hold.started ? 'stack started for this test run' : 'using the running stack');

let code: number;
if (interrupted) {
  // Interrupted while the stack was coming up: skip the tests, still tear down.
  code = exitCodeOf(interrupted);
} else {
  // With no arguments: the unit project first, then the integration project, each on its own,
  // so CPU-heavy property tests never share the machine with lease-timed integration tests.
  const runs =
    process.argv.length > 2
      ? [process.argv.slice(2)]
      : [
          ['--project', 'unit'],
          ['--project', 'integration'],
        ];
  code = 0;
  for (const args of runs) {
    if (interrupted) break;
    const child = spawn(path.join(REPO_ROOT, 'node_modules', '.bin', 'vitest'), ['run', ...args], {
      stdio: 'inherit',
      cwd: REPO_ROOT,
    });
    vitest = child;
    const runCode = await new Promise<number>((resolve) => {
      child.once('error', (error) => {
        log(`could not run vitest: ${error.message}`);
        resolve(1);
      });
      child.once('exit', (exitCode, signal) =>
        resolve(exitCode ?? (signal ? exitCodeOf(signal) : 1)),
      );
    });
    code = code || runCode;
  }
}

try {
  const { down } = await hold.release();
  if (down) log('stack stopped (it was started for this test run)');
} catch (error) {
  log(`teardown failed: ${error instanceof Error ? error.message : String(error)}`);
  code = code || 1;
}
process.exit(interrupted ? exitCodeOf(interrupted) : code);
