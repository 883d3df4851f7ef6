/**
 * Where the time goes: the local Seamline (order replicas, payment, inventory, 3 PostgreSQL,
 * 3 NATS) under a closed loop, every service running with `node --cpu-prof`. Prints sagas/s,
 * p50/p99 and CPU ms per saga per process (from /proc), then, per service, the functions with
 * the most own time; draws a flame graph of each service.
 *
 *   npm run bench:profile [-- --clients 50 --seconds 20] [--docs]
 *
 * Only the profiled level counts: samples before and after it (start-up, seed, warm-up,
 * shutdown) are cut off by time. The profiles are written when the services stop (SIGTERM; the
 * process runner exits through process.exit, which writes them). Output goes to
 * .seamline/bench/profile/<timestamp>/ (SVGs, raw .cpuprofile files, summary.md); --docs also
 * writes docs/flame-order-leader.svg, docs/flame-payment.svg and a section of docs/benchmarks.md.
 * Exits 1 when an order never reached a terminal state or a service left no profile.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stackOptionsFromEnv } from '../infra/stack/env-options.ts';
import { members } from '../infra/stack/process-group.ts';
import { readStatus } from '../infra/stack/index.ts';
import { REPO_ROOT } from '../infra/stack/options.ts';
import { flameSvg } from './flame-svg.ts';
import { readBenchArgs, SignalStop } from './peer/bench-cli.ts';
import { closedLoop } from './peer/closed-loop.ts';
import { docsMarkers, writeDocsSection } from './peer/docs-section.ts';
import { levelLine, machineLine, measureLevel } from './peer/measure-level.ts';
import { clockTicksPerSecond } from './peer/proc-cpu.ts';
import { startSeamline } from './peer/seamline-peer.ts';
import type { SeamlineUnderTest } from './peer/seamline-peer.ts';
import {
  parseCpuProfile,
  profileTree,
  timeByCategory,
  topOwnCodeByTotal,
  topSelfFunctions,
} from './profile/cpu-profile.ts';
import type { ProfileTree } from './profile/cpu-profile.ts';
import { assignProfiles, parseProfileFileName } from './profile/profile-files.ts';
import { parseProfileArgs, PROFILE_USAGE } from './profile/profile-options.ts';
import { renderBusyLine, renderCpuTable, renderTopTable } from './profile/profile-report.ts';
import { sourceLineFinder } from './profile/source-lines.ts';

const say = (line: string) => process.stderr.write(`bench:profile: ${line}\n`);

const options = readBenchArgs('bench:profile', PROFILE_USAGE, parseProfileArgs);

const stack = stackOptionsFromEnv();
const offset = stack.offset ?? 0;
const startedAt = new Date();
const runDir = path.resolve(
  REPO_ROOT,
  options.outDir,
  startedAt.toISOString().replace(/[:.]/g, '-'),
);
const profilesDir = path.join(runDir, 'profiles');
fs.mkdirSync(profilesDir, { recursive: true });
const loadAtStart = os.loadavg();
say(`load average at the start: ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}`);

const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const nodeOptions = [
  process.env.NODE_OPTIONS ?? '',
  '--cpu-prof',
  `--cpu-prof-dir=${JSON.stringify(profilesDir)}`,
  `--cpu-prof-interval=${options.intervalUs}`,
]
  .join(' ')
  .trim();

const signals = new SignalStop(say);

say(`bringing up the stack (offset ${offset}) and ${options.orderReplicas + 2} profiled services`);
const underTest: SeamlineUnderTest = await startSeamline({
  stack,
  orderReplicas: options.orderReplicas,
  log: say,
  purpose: 'bench:profile',
  env: { NODE_OPTIONS: nodeOptions },
});
signals.current = underTest.stop;
if (underTest.foreignServices.length > 0) {
  say(
    `${underTest.foreignServices.join(', ')} already ran (not profiled); stop them ` +
      `(npm run stack -- down) or use another SEAMLINE_STACK_OFFSET and SEAMLINE_STACK_ROOT`,
  );
  await underTest.stop();
  process.exit(1);
}

/** Pid of every service process seen during the run (a restarted service has several). */
const serviceByPid = new Map<number, string>();
const notePids = () => {
  for (const record of readStatus(stack).processes) {
    if (record.kind !== 'service') continue;
    serviceByPid.set(record.pid, record.name);
    for (const stat of members(record)) serviceByPid.set(stat.pid, record.name);
  }
};

let measured: Awaited<ReturnType<typeof measureLevel>>;
let window: { fromUs: number; toUs: number };
let leaders: (string | undefined)[];
try {
  notePids();
  const leaderBefore = await underTest.orderLeader();
  if (options.warmupSeconds > 0) {
    say(`${options.warmupSeconds} s warm-up at ${options.clients} clients (not profiled)`);
    await closedLoop({
      clients: options.clients,
      seconds: options.warmupSeconds,
      seed: options.seed + 7,
      keyPrefix: `profile-${runId}-warm`,
      place: underTest.place,
    });
  }
  notePids();
  say(`profiling ${options.seconds} s at ${options.clients} clients`);
  const fromUs = Number(process.hrtime.bigint() / 1000n);
  measured = await measureLevel(
    underTest,
    {
      clients: options.clients,
      seconds: options.seconds,
      seed: options.seed,
      keyPrefix: `profile-${runId}`,
    },
    clockTicksPerSecond(),
  );
  window = { fromUs, toUs: Number(process.hrtime.bigint() / 1000n) };
  say(levelLine('Seamline (profiled)', measured.figures, measured.loop));
  notePids();
  const leaderAfter = await underTest.orderLeader(10_000).catch(() => undefined);
  leaders = [leaderBefore, leaderAfter];
} finally {
  say('stopping the services (they write their profiles as they exit)');
  await underTest.stop();
  signals.current = undefined;
}
const loadAtEnd = os.loadavg();
say(`load average at the end: ${loadAtEnd.map((l) => l.toFixed(2)).join(' ')}`);
if (signals.interrupted) process.exit(130);

// Each service's profile, cut to the profiled window; a restarted service keeps its busiest.
const { byService, unassigned } = assignProfiles(fs.readdirSync(profilesDir), serviceByPid);
const trees = new Map<string, ProfileTree>();
const sourceLine = sourceLineFinder();
for (const [service, files] of byService) {
  for (const [i, file] of files.entries()) {
    const named = files.length === 1 ? `${service}.cpuprofile` : `${service}.${i + 1}.cpuprofile`;
    fs.renameSync(path.join(profilesDir, file), path.join(profilesDir, named));
    const tree = profileTree(
      parseCpuProfile(fs.readFileSync(path.join(profilesDir, named), 'utf8')),
      {
        ...window,
        repoRoot: REPO_ROOT,
        sourceLine,
      },
    );
    const known = trees.get(service);
    if (!known || tree.root.totalMs > known.root.totalMs) trees.set(service, tree);
  }
}
// Other threads of a service (tsx's module loader) keep their profile, named for the service.
for (const file of unassigned) {
  const name = parseProfileFileName(file);
  const service = name && serviceByPid.get(name.pid);
  if (name && service) {
    fs.renameSync(
      path.join(profilesDir, file),
      path.join(
        profilesDir,
        `${service}.thread-${name.thread}.${file.split('.').at(-2)}.cpuprofile`,
      ),
    );
  } else say(`profile of no service kept as it is: ${file}`);
}

const [leaderBefore, leaderAfter] = leaders;
const leader = leaderAfter ?? leaderBefore;
const leaderNote =
  leaderBefore === leaderAfter
    ? `${leader} led the order replicas throughout.`
    : `Leadership moved during the run (${leaderBefore ?? '?'} before, ${leaderAfter ?? 'none'} after); ` +
      `${leader ?? 'none'} is drawn as the leader.`;
const { figures } = measured;
// The leader first, then payment and inventory, then the other order replicas.
const rank = (name: string) => (name === leader ? 0 : name.startsWith('order-') ? 2 : 1);
const services = underTest.services.map((s) => s.name).sort((a, b) => rank(a) - rank(b));
const missing = services.filter((name) => !trees.has(name));

const sections: string[] = [];
const svgOf = new Map<string, string>();
for (const service of services) {
  const tree = trees.get(service);
  if (!tree) continue;
  const role = service === leader ? ' (order leader)' : '';
  const svg = flameSvg(tree.root, {
    title: `${service}${role}: CPU flame graph, ${options.clients} clients`,
    subtitle:
      `main thread not idle ${tree.root.totalMs.toFixed(0)} ms of ${tree.windowMs.toFixed(0)} ms, ` +
      `${figures.sagas} sagas (${figures.sagasPerSecond.toFixed(1)}/s), ` +
      `${startedAt.toISOString().slice(0, 10)}; idle left out`,
  });
  const svgPath = path.join(runDir, `flame-${service}.svg`);
  fs.writeFileSync(svgPath, svg);
  svgOf.set(service, svg);
  sections.push(
    `### ${service}${role}\n\n${renderBusyLine(tree, timeByCategory(tree), figures.cpuMsPerSaga[service])}.\n\n` +
      renderTopTable(topSelfFunctions(tree, options.top), tree, figures.cpuMsPerSaga[service]) +
      `\nOur code by total time (with what it calls synchronously), top ${Math.min(options.top, 10)}:\n\n` +
      renderTopTable(
        topOwnCodeByTotal(tree, Math.min(options.top, 10)),
        tree,
        figures.cpuMsPerSaga[service],
        'total',
      ),
  );
}

const args = process.argv.slice(2).join(' ');
const env = [
  offset ? `SEAMLINE_STACK_OFFSET=${offset}` : '',
  stack.root ? `SEAMLINE_STACK_ROOT=${stack.root}` : '',
]
  .filter(Boolean)
  .join(' ');
const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' / ');
const report = [
  `Command: \`${env ? `${env} ` : ''}npm run bench:profile${args ? ` -- ${args}` : ''}\` ` +
    `(closed loop: each client places an order and waits for its terminal state, then the next).`,
  '',
  `Run at ${startedAt.toISOString()} on ${machineLine()}. The machine is shared: ` +
    `load average (1 / 5 / 15 min) ${load(loadAtStart)} at the start and ${load(loadAtEnd)} at the end, ` +
    `so absolute figures are lower than on an idle machine. ${options.orderReplicas} order replicas, payment, ` +
    `inventory, 3 PostgreSQL (W = 2), 3 NATS; every service under \`--cpu-prof\` ` +
    `(${options.intervalUs} µs sampling, which costs some throughput). ${options.clients} clients for ` +
    `${options.seconds} s after a ${options.warmupSeconds} s warm-up; seed ${options.seed}.`,
  '',
  `**${figures.sagasPerSecond.toFixed(1)} sagas/s**, p50 ${figures.p50.toFixed(0)} ms, ` +
    `p99 ${figures.p99.toFixed(0)} ms; ${figures.sagas} sagas (${(figures.cancelledShare * 100).toFixed(1)} % ` +
    `cancelled), ${figures.errors} not terminal. ${leaderNote}`,
  '',
  'CPU per saga by process (utime + stime of each process tree from /proc over the profiled level):',
  '',
  renderCpuTable(figures),
  `Top ${options.top} functions by own (self) time in each service's main thread, over the profiled ` +
    'level only. Profile time is wall time while the thread is not idle: on a loaded machine it ' +
    'includes time spent waiting for a CPU, so it exceeds the CPU /proc counts. The shares are ' +
    'what to compare; ≈ CPU µs/saga is a function’s share times its process’s CPU per saga. ' +
    'Total: with callees (a recursive call counted once). `writev` and `writeBuffer` are socket ' +
    'writes (the system call runs on the main thread). Lines of our TypeScript are found by the ' +
    'function’s name in the source (tsx compiles each file onto one line); a function not found ' +
    'shows its file only. GC runs partly on helper threads, which /proc counts and the profile ' +
    'does not; so does the sampler itself, whose cost an idle order follower shows.',
  '',
  ...sections,
].join('\n');

process.stdout.write(`\n${report}\n`);
const summaryPath = path.join(runDir, 'summary.md');
fs.writeFileSync(
  summaryPath,
  `# Where the time goes\n\n${report}\nFlame graphs: ${services
    .filter((s) => svgOf.has(s))
    .map((s) => `[${s}](flame-${s}.svg)`)
    .join(', ')}; raw profiles in profiles/ (open in Chrome DevTools or speedscope).\n`,
);
say(`flame graphs, profiles and summary written to ${runDir}`);

if (options.docs) {
  const docs = path.join(REPO_ROOT, 'docs');
  const figuresFor: [string, string | undefined][] = [
    ['flame-order-leader.svg', leader],
    ['flame-payment.svg', 'payment-1'],
  ];
  for (const [file, service] of figuresFor) {
    const svg = service === undefined ? undefined : svgOf.get(service);
    if (svg === undefined)
      say(`no profile of ${service ?? 'the order leader'}; ${file} not written`);
    else fs.writeFileSync(path.join(docs, file), svg);
  }
  const section =
    `## Where the time goes (CPU profiles under load, \`npm run bench:profile\`)\n\n${report}\n` +
    `Flame graphs (hover a frame for its function, file:line, ms and share; idle time left out):\n\n` +
    `![order leader flame graph](flame-order-leader.svg)\n\n![payment flame graph](flame-payment.svg)\n`;
  await writeDocsSection(path.join(docs, 'benchmarks.md'), section, docsMarkers('bench:profile'));
  say('flame graphs and the section written into docs/');
}

if (missing.length > 0) say(`no profile from ${missing.join(', ')}`);
process.exit(figures.errors > 0 || missing.length > 0 ? 1 : 0);
