/**
 * `npm run chaos -- <scenario> [options]`: runs one chaos scenario against the local stack.
 * Each scenario lives in chaos/scenarios/<name>.ts and exports `describe` and `run(argv)`;
 * `run` prints its seed, drives the faults, runs the invariant auditor and returns an exit code.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface Scenario {
  readonly describe: string;
  run(argv: string[]): Promise<number>;
}

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'scenarios');
const names = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map((f) => f.slice(0, -3))
  .sort();

const [name, ...rest] = process.argv.slice(2);
if (name === undefined || name === '--help' || !names.includes(name)) {
  const lines = await Promise.all(
    names.map(
      async (n) =>
        `  ${n.padEnd(18)} ${((await import(path.join(dir, `${n}.ts`))) as Scenario).describe}`,
    ),
  );
  console.log(`usage: npm run chaos -- <scenario> [options]\n\nscenarios:\n${lines.join('\n')}`);
  process.exit(name === undefined || name === '--help' ? 0 : 2);
}
const scenario = (await import(path.join(dir, `${name}.ts`))) as Scenario;
process.exit(await scenario.run(rest));
