/**
 * Seamline beside Restate, one after the other on this machine, under the same closed-loop
 * levels and the same saga (reserve, charge, complete; about 10 % declined and compensated).
 * Prints one table: sagas/s, p50/p90/p99 and CPU ms per saga per process for each level, and the
 * ratio Seamline/Restate. Restate runs with its defaults and with `--default-num-partitions 2`;
 * the table shows the better. Seamline's books are audited after its run (0 double, 0 lost).
 *
 *   npm run bench:peer [-- --levels 1,10,50,100 --seconds 30 | --quick] [--docs]
 *
 * The report goes to .seamline/bench/ (Markdown and JSON); docs/benchmarks.md only with --docs.
 * Exits 1 when the audit fails or an order never reached a terminal state.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AuditReport } from '@seamline/audit';
import { stackOptionsFromEnv } from '../infra/stack/env-options.ts';
import { REPO_ROOT } from '../infra/stack/options.ts';
import { closedLoop } from './peer/closed-loop.ts';
import type { PlaceOrder } from './peer/closed-loop.ts';
import { readBenchArgs, SignalStop } from './peer/bench-cli.ts';
import { configLabel, parsePeerArgs, PEER_USAGE } from './peer/peer-options.ts';
import { docsMarkers, writeDocsSection } from './peer/docs-section.ts';
import { levelLine, machineLine, measureLevel } from './peer/measure-level.ts';
import { betterRun, renderConfigLine, renderPeerTable } from './peer/peer-report.ts';
import type { SystemRun } from './peer/peer-report.ts';
import { clockTicksPerSecond } from './peer/proc-cpu.ts';
import type { CpuSource } from './peer/proc-cpu.ts';
import { ensureRestateInstalled, RESTATE_DIR, startRestate } from './peer/restate-peer.ts';
import { startSeamline } from './peer/seamline-peer.ts';

const say = (line: string) => process.stderr.write(`bench:peer: ${line}\n`);

const options = readBenchArgs('bench:peer', PEER_USAGE, parsePeerArgs);

const stack = stackOptionsFromEnv();
const offset = stack.offset ?? 0;
const outDir = path.resolve(REPO_ROOT, options.outDir);
fs.mkdirSync(outDir, { recursive: true });
const ticksPerSecond = clockTicksPerSecond();
const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const loadAtStart = os.loadavg()[0]!;

const signals = new SignalStop(say);

interface UnderTest {
  label: string;
  place: PlaceOrder;
  cpuSources: CpuSource[];
}

async function measure(system: UnderTest, tag: string): Promise<SystemRun> {
  if (options.warmupSeconds > 0) {
    say(`${system.label}: ${options.warmupSeconds} s warm-up at ${options.levels[0]} clients`);
    await closedLoop({
      clients: options.levels[0]!,
      seconds: options.warmupSeconds,
      seed: options.seed + 7,
      keyPrefix: `peer-${runId}-${tag}-warm`,
      place: system.place,
    });
  }
  const levels: SystemRun['levels'] = [];
  for (const clients of options.levels) {
    if (signals.interrupted) break;
    const { loop, figures } = await measureLevel(
      system,
      {
        clients,
        seconds: options.seconds,
        seed: options.seed + clients,
        keyPrefix: `peer-${runId}-${tag}-${clients}`,
      },
      ticksPerSecond,
    );
    levels.push(figures);
    say(levelLine(system.label, figures, loop));
  }
  return { label: system.label, levels };
}

let seamline: SystemRun = { label: 'Seamline (not run)', levels: [] };
let audit: AuditReport | undefined;
let auditError: string | undefined;
const restateRuns: SystemRun[] = [];
let restateVersion = 'not run';
let sdkVersion = 'not run';

if (options.systems.includes('seamline') && !signals.interrupted) {
  say(
    `Seamline: bringing up the stack (offset ${offset}) and ${options.orderReplicas + 2} services`,
  );
  const system = await startSeamline({ stack, orderReplicas: options.orderReplicas, log: say });
  signals.current = system.stop;
  try {
    seamline = await measure(system, 'seamline');
    say('auditing Seamline (anti-entropy, then invariants 1 and 2 on every replica)...');
    audit = await system.audit().catch((error: unknown) => {
      auditError = (error as Error).message;
      return undefined;
    });
  } finally {
    await system.stop();
    signals.current = undefined;
  }
}

if (options.systems.includes('restate') && !signals.interrupted) {
  restateVersion = ensureRestateInstalled(say);
  sdkVersion = (
    JSON.parse(
      fs.readFileSync(
        path.join(RESTATE_DIR, 'node_modules/@restatedev/restate-sdk/package.json'),
        'utf8',
      ),
    ) as { version: string }
  ).version;
  for (const config of options.restateConfigs) {
    if (signals.interrupted) break;
    say(`${configLabel(config)}: starting ${restateVersion} and the services`);
    const system = await startRestate({
      config,
      offset,
      workDir: path.join(outDir, 'restate', config === 'default' ? 'defaults' : `p${config}`),
      log: say,
    });
    signals.current = system.stop;
    try {
      restateRuns.push(await measure(system, `restate-${config}`));
    } finally {
      await system.stop();
      signals.current = undefined;
    }
  }
}
if (signals.interrupted) process.exit(130);

const restate =
  restateRuns.length > 0 ? betterRun(restateRuns) : { label: 'Restate (not run)', levels: [] };
const lostOrders = [seamline, ...restateRuns].flatMap((r) => r.levels).some((l) => l.errors > 0);
const count = (invariant: string) =>
  audit?.violations.filter((v) => v.invariant === invariant).length ?? Number.NaN;
const auditLine = !options.systems.includes('seamline')
  ? 'Seamline not run, no audit.'
  : audit
    ? `Seamline's books after the run: ${audit.ok ? 'PASS' : 'FAIL'}, ` +
      `${count('no-double-effect')} double, ${count('no-lost-effect')} lost ` +
      `(${audit.counts.duplicateEffects} duplicate effects; ${audit.counts.orders} orders in the databases, ` +
      `${audit.nonTerminal.length} not terminal).`
    : `Seamline's audit could not run: ${auditError ?? 'unknown'}.`;

const args = process.argv.slice(2).join(' ');
const report = [
  `Command: \`${offset ? `SEAMLINE_STACK_OFFSET=${offset} ` : ''}npm run bench:peer${args ? ` -- ${args}` : ''}\``,
  `(closed loop: each client places an order and waits for its terminal state, then the next).`,
  '',
  `Run at ${new Date().toISOString()} on ${machineLine(loadAtStart)}; restate-server ${restateVersion}, ` +
    `@restatedev/restate-sdk ${sdkVersion}. Levels ${options.levels.join(', ')} clients, ` +
    `${options.seconds} s each after a ${options.warmupSeconds} s warm-up; seed ${options.seed}.` +
    (options.systems.includes('seamline')
      ? ` Seamline: ${options.orderReplicas} order replicas, payment, inventory, 3 PostgreSQL (W = 2), 3 NATS.`
      : ''),
  '',
  renderPeerTable(seamline, restate),
  `Restate configurations: ${renderConfigLine(restateRuns) || 'none run'}; the table shows the better, ${restate.label}.`,
  '',
  auditLine,
  '',
  `Latency: what a client waited, POST to terminal state. CPU: utime + stime (with reaped children) ` +
    `from /proc of each process tree over the level, per saga finished in it; the load generator's ` +
    `own CPU is not counted. Ratio above 1: Seamline has more of it.`,
].join('\n');

process.stdout.write(`\n${report}\n`);
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const mdPath = path.join(outDir, `peer-${stamp}.md`);
fs.writeFileSync(mdPath, `# Seamline beside Restate\n\n${report}\n`);
fs.writeFileSync(
  path.join(outDir, `peer-${stamp}.json`),
  `${JSON.stringify({ options, seamline, restateRuns, better: restate.label, audit: audit ?? auditError ?? null }, null, 2)}\n`,
);
say(`report written to ${mdPath}`);
if (options.docs) {
  const docsPath = path.join(REPO_ROOT, 'docs', 'benchmarks.md');
  const section = `## Seamline beside Restate (closed loop, \`npm run bench:peer\`)\n\n${report}`;
  await writeDocsSection(docsPath, section, docsMarkers('bench:peer'));
  say(`table written into ${docsPath}`);
}
const auditFailed = options.systems.includes('seamline') && audit?.ok !== true;
process.exit(auditFailed || lostOrders ? 1 : 0);
