/**
 * `npm run chaos -- sweep <scenario> --seeds 1-20 [--out FILE] [-- scenario options]`: runs one
 * scenario once per seed, each in a fresh process (nothing carries over between seeds but the
 * stack), and prints a table of seed, result, time and the scenario's audit line. A promise that
 * holds for one seed is an anecdote; this is how docs/chaos-runs.md is produced.
 *
 *   seed 1 ─▶ npm run chaos -- <scenario> --seed 1 <options> ─▶ PASS/FAIL + audit line
 *   seed 2 ─▶ ...                                                   (stops early with --fail-fast)
 *   ...   ─▶ table on stdout and in .seamline/sweeps/<scenario>-<time>.md (or --out)
 *
 * Exit code 1 when any seed failed: the failing seed replays with `--seed N`.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../../infra/stack/options.ts';

export const describe = 'runs another scenario over a range of seeds and tabulates the results';

export interface SeedResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly seconds: number;
  /** The scenario's own verdict line (`audit: ...`), or its last line when it printed none. */
  readonly detail: string;
}

/** `3`, `1-20` or `4,7,11-13`: each seed once, in the order given. */
export function parseSeeds(spec: string): number[] {
  const out: number[] = [];
  for (const part of spec.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (m === null) throw new TypeError(`--seeds: '${part}' is not N or N-M`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) throw new TypeError(`--seeds: ${part} counts down`);
    if (to - from >= 10_000) throw new TypeError(`--seeds: ${part} is more than 10 000 seeds`);
    for (let s = from; s <= to; s++) if (!out.includes(s)) out.push(s);
  }
  if (out.length === 0) throw new TypeError('--seeds: no seed given');
  return out;
}

/**
 * The scenario's audit line plus every check it failed (`FAILED: ...`), or its last non-empty
 * line when it printed neither (it could not run).
 */
export function verdictLine(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.replace(/^\[[^\]]+\]\s*/, '').trim())
    .filter((l) => l !== '');
  const audit = lines.findLast((l) => l.startsWith('audit:'));
  const failed = lines.filter((l) => l.startsWith('FAILED:'));
  const parts = [...(audit === undefined ? [] : [audit]), ...failed];
  return parts.length > 0 ? parts.join('; ') : (lines.at(-1) ?? '(no output)');
}

export function renderTable(scenario: string, args: readonly string[], rows: SeedResult[]): string {
  const passed = rows.filter((r) => r.ok).length;
  const command = ['npm run chaos --', scenario, '--seed N', ...args].join(' ');
  return [
    `\`${command}\`: ${passed} of ${rows.length} seeds passed`,
    '',
    '| seed | result | seconds | audit |',
    '| ---- | ------ | ------- | ----- |',
    ...rows.map(
      (r) =>
        `| ${r.seed} | ${r.ok ? 'PASS' : 'FAIL'} | ${r.seconds.toFixed(0)} | ${r.detail.replaceAll('|', '\\|')} |`,
    ),
    '',
  ].join('\n');
}

function runSeed(scenario: string, seed: number, args: readonly string[]): Promise<SeedResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(REPO_ROOT, 'chaos', 'cli.ts'),
        scenario,
        '--seed',
        String(seed),
        ...args,
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: process.env },
    );
    let output = '';
    const take = (chunk: Buffer) => {
      output += chunk.toString();
      process.stdout.write(chunk);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.once('exit', (code) =>
      resolve({
        seed,
        ok: code === 0,
        seconds: (Date.now() - started) / 1000,
        detail: verdictLine(output),
      }),
    );
  });
}

export async function run(argv: string[]): Promise<number> {
  const usage =
    'usage: npm run chaos -- sweep <scenario> --seeds 1-20 [--out FILE] [--fail-fast] [-- scenario options]';
  let values: { seeds?: string; out?: string; 'fail-fast'?: boolean; help?: boolean };
  let positionals: string[];
  const dashes = argv.indexOf('--');
  const own = dashes < 0 ? argv : argv.slice(0, dashes);
  const passOn = dashes < 0 ? [] : argv.slice(dashes + 1);
  let seeds: number[];
  try {
    ({ values, positionals } = parseArgs({
      args: own,
      allowPositionals: true,
      options: {
        seeds: { type: 'string' },
        out: { type: 'string' },
        'fail-fast': { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }));
    if (values.help === true) {
      process.stdout.write(`${usage}\n`);
      return 0;
    }
    if (positionals.length !== 1) throw new TypeError('name exactly one scenario');
    if (positionals[0] === 'sweep') throw new TypeError('a sweep cannot sweep itself');
    seeds = parseSeeds(values.seeds ?? '1-5');
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${usage}\n`);
    return 2;
  }
  const scenario = positionals[0]!;
  const rows: SeedResult[] = [];
  for (const [i, seed] of seeds.entries()) {
    process.stdout.write(`[sweep] seed ${seed} (${i + 1} of ${seeds.length})\n`);
    const r = await runSeed(scenario, seed, passOn);
    rows.push(r);
    process.stdout.write(
      `[sweep] seed ${seed}: ${r.ok ? 'PASS' : 'FAIL'} in ${r.seconds.toFixed(0)} s; ${rows.filter((x) => x.ok).length}/${rows.length} passed so far\n`,
    );
    if (!r.ok && values['fail-fast'] === true) break;
  }
  const table = renderTable(scenario, passOn, rows);
  const out =
    values.out ??
    path.join(
      REPO_ROOT,
      '.seamline',
      'sweeps',
      `${scenario}-${new Date().toISOString().replace(/[:.]/g, '-')}.md`,
    );
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, table);
  process.stdout.write(`\n${table}\n[sweep] table written to ${out}\n`);
  return rows.every((r) => r.ok) && rows.length === seeds.length ? 0 : 1;
}
