/**
 * Consistency swap (design brief, failure scenario 5): inventory's store in eventual (W=1 R=1),
 * quorum (W=2 R=2) and linearizable (W=2 R=2 plus ABD write-back) mode, N = 3, under the same
 * seeded open-loop reserve workload (read a sku's stock record, write it back decremented).
 *
 *   npm run bench:consistency [-- --rate 50 --seconds 8 --healed-seconds 12 --skus 300 --seed N]
 *
 * Phases, per mode:
 * - healthy: latency, the three modes interleaved in 2 s rounds so machine load hits them alike;
 * - one replica paused, then two (SIGSTOP through the stack supervisor, resumed in a finally):
 *   success rate of reads, writes and whole reserves;
 * - healed (`--healed-seconds`): right after the resume, long enough for the store to probe the
 *   replicas it ejected, so a replica that missed writes answers reads again.
 * Every phase counts stale reads (older than the last write acknowledged before the read began);
 * then each replica is read on its own and the stock audited against the acknowledged reserves.
 * The seed fixes the skus, quantities and paused replicas; timing still varies between runs.
 *
 * Uses the stack the environment names (SEAMLINE_STACK_ROOT, SEAMLINE_STACK_OFFSET), starting it
 * when nothing runs there and taking it down afterwards if it did. Exits 1 when a quorum or
 * linearizable read is stale or a quorum mode loses stock (invariants 2 and 4).
 */
import os from 'node:os';
import pg from 'pg';
import type { ReplicaConfig } from '@seamline/quorum-store';
import { QuorumStore } from '@seamline/quorum-store';
import { seededRandom } from '../chaos/support/seeded-random.ts';
import type { Random } from '../chaos/support/seeded-random.ts';
import { stackOptionsFromEnv } from '../infra/stack/env-options.ts';
import { endpoints, holdStack, signalProcess } from '../infra/stack/index.ts';
import type { AuditRow, Phase, PhaseTally, TallyRow } from './consistency-report.ts';
import {
  PHASES,
  newTally,
  p99Ratios,
  quorumViolations,
  refusalLines,
  renderAuditTable,
  renderPhaseTable,
} from './consistency-report.ts';
import type { SwapMode } from './consistency-swap-options.ts';
import { SWAP_MODES, parseConsistencySwapArgs } from './consistency-swap-options.ts';
import { ReserveWorkload, readStockPerReplica } from './inventory-reserve.ts';
import { openLoop } from './load-stats.ts';
import { StaleReadLedger } from './stale-reads.ts';
import { auditStock } from './stock-conservation.ts';

const INITIAL_UNITS = 1_000_000;
const WARM_UP_SECONDS = 2;
const ROUND_SECONDS = 2;

const opts = parseConsistencySwapArgs(process.argv.slice(2));
const log = (line: string) => process.stderr.write(`[consistency] ${line}\n`);
const command = `npm run bench:consistency -- --rate ${opts.rate} --seconds ${opts.seconds} --healed-seconds ${opts.healedSeconds} --skus ${opts.skus} --seed ${opts.seed}`;
log(`seed ${opts.seed} (rerun: ${command})`);

/** One mode's store, workload and counters. */
interface ModeRun {
  readonly mode: SwapMode;
  readonly label: string;
  readonly database: string;
  readonly store: QuorumStore;
  readonly ledger: StaleReadLedger;
  readonly workload: ReserveWorkload;
  /** The mode's own copy of the workload stream: every mode gets the same skus and quantities. */
  readonly draws: Random;
  readonly tallies: Map<Phase, PhaseTally>;
  /** Where the store's repair callbacks count. */
  current: PhaseTally;
}

const label = (m: SwapMode) => `${m.consistency} W=${m.writeQuorum} R=${m.readQuorum}`;

async function dropDatabases(replicas: readonly ReplicaConfig[], names: readonly string[]) {
  for (const r of replicas) {
    const client = new pg.Client({ connectionString: r.url });
    await client.connect();
    try {
      for (const name of names) await client.query(`drop database if exists ${name} with (force)`);
    } finally {
      await client.end();
    }
  }
}

const stackOptions = { ...stackOptionsFromEnv(), log };
const hold = await holdStack({ ...stackOptions, purpose: 'bench:consistency' });
const paused = new Set<string>();

async function resumeAll(): Promise<void> {
  for (const name of [...paused]) {
    await signalProcess(name, 'resume', stackOptions);
    paused.delete(name);
  }
}

/** Runs `fn` with `names` paused; resumes them whatever happens. */
async function withPaused<T>(names: readonly string[], fn: () => Promise<T>): Promise<T> {
  try {
    for (const name of names) {
      paused.add(name);
      await signalProcess(name, 'pause', stackOptions);
    }
    return await fn();
  } finally {
    await resumeAll();
  }
}

// Ctrl-C must not leave a PostgreSQL stopped, nor a stack this run started.
process.once('SIGINT', () => {
  log('interrupted: resuming paused replicas and releasing the stack');
  void resumeAll()
    .finally(() => hold.release())
    .finally(() => process.exit(130));
});

async function measure(run: ModeRun, tally: PhaseTally, seconds: number): Promise<void> {
  run.current = tally;
  await openLoop(opts.rate, seconds, () => {
    const sku = run.draws.pick(skus);
    const units = run.draws.int(1, 3);
    tally.reserves += 1;
    return run.workload.reserve(sku, units, tally);
  });
}

const skus = Array.from({ length: opts.skus }, (_, i) => `sku-${i + 1}`);
const runs: ModeRun[] = [];
let failed = false;
try {
  const replicas = endpoints(stackOptions).postgres.map((p) => ({ name: p.name, url: p.url }));
  const random = seededRandom(opts.seed);
  const first = random.pick(replicas.map((r) => r.name));
  const second = random.pick(replicas.map((r) => r.name).filter((n) => n !== first));
  const workloadSeed = random.int(1, 2 ** 31 - 2);
  log(`pauses ${first}, then ${first} and ${second}; workload seed ${workloadSeed}`);
  const databases = SWAP_MODES.map((m) => `bench_consistency_${m.consistency}`);
  await dropDatabases(replicas, databases);
  const loadBefore = os.loadavg()[0]!;
  const startedAt = new Date();

  for (const mode of SWAP_MODES) {
    const database = `bench_consistency_${mode.consistency}`;
    const tallies = new Map(PHASES.map((p) => [p, newTally()]));
    const ledger = new StaleReadLedger();
    const holder: { run?: ModeRun } = {};
    const store = await QuorumStore.open({
      replicas,
      database,
      writeQuorum: mode.writeQuorum,
      readQuorum: mode.readQuorum,
      consistency: mode.consistency,
      replicaTimeoutMs: opts.replicaTimeoutMs,
      poolSize: 20,
      observer: {
        onRepair: (_domain, records) => {
          if (holder.run) holder.run.current.repairedRecords += records;
        },
      },
    });
    const workload = new ReserveWorkload(store, ledger, INITIAL_UNITS);
    await workload.seed(skus);
    const run: ModeRun = {
      mode,
      label: label(mode),
      database,
      store,
      ledger,
      workload,
      draws: seededRandom(workloadSeed),
      tallies,
      current: newTally(),
    };
    holder.run = run;
    runs.push(run);
  }

  log(`warm-up, ${WARM_UP_SECONDS}s per mode...`);
  for (const run of runs) await measure(run, newTally(), WARM_UP_SECONDS);

  const rounds = Math.max(1, Math.round(opts.seconds / ROUND_SECONDS));
  log(`healthy: ${opts.rate} reserves/s, ${rounds} rounds of ${opts.seconds / rounds}s per mode`);
  for (let r = 0; r < rounds; r++) {
    for (const run of runs) await measure(run, run.tallies.get('healthy')!, opts.seconds / rounds);
  }

  const audits: AuditRow[] = [];
  for (const run of runs) {
    const phase = (p: Phase) => run.tallies.get(p)!;
    log(`${run.label}: ${first} paused, ${opts.seconds}s...`);
    await withPaused([first], () => measure(run, phase('one replica paused'), opts.seconds));
    log(`${run.label}: ${first} and ${second} paused, ${opts.seconds}s...`);
    await withPaused([first, second], () =>
      measure(run, phase('two replicas paused'), opts.seconds),
    );
    log(`${run.label}: healed, ${opts.healedSeconds}s...`);
    await measure(run, phase('healed'), opts.healedSeconds);
    // Writes past their W acks are still on their way to the other replicas.
    await new Promise((r) => setTimeout(r, opts.replicaTimeoutMs + 500));
    await run.store.close();
    const copies = await readStockPerReplica(replicas, run.database, skus, opts.replicaTimeoutMs);
    const audit = auditStock(skus, INITIAL_UNITS, copies, {
      acknowledgedUnits: (sku) => run.ledger.acknowledgedUnits(sku),
      inDoubtUnits: (sku) => run.workload.inDoubtUnits(sku),
    });
    const inDoubtUnits = skus.reduce((sum, sku) => sum + run.workload.inDoubtUnits(sku), 0);
    audits.push({ mode: run.mode.consistency, label: run.label, audit, inDoubtUnits });
  }

  const rows: TallyRow[] = PHASES.flatMap((phase) =>
    runs.map((run) => ({
      mode: run.mode.consistency,
      label: run.label,
      phase,
      tally: run.tallies.get(phase)!,
    })),
  );
  const cpus = os.cpus();
  console.log(`
## Consistency swap (inventory: eventual vs linearizable)

Command: \`${command}\`

Run on ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpus.length} cores (${cpus[0]?.model.trim() ?? '?'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, load average ${loadBefore.toFixed(1)} before and ${os.loadavg()[0]!.toFixed(1)} after; ${opts.rate} reserves/s over ${opts.skus} skus, ${opts.seconds}s per phase and mode (healed ${opts.healedSeconds}s); paused ${first}, then ${first} and ${second}; replica timeout ${opts.replicaTimeoutMs} ms.

${renderPhaseTable(rows)}

Stock audit after the healed phase (each replica read on its own):

${renderAuditTable(audits)}

${refusalLines(rows)
  .map((line) => `- ${line}`)
  .join('\n')}

Healthy p99 ratios: reads ${p99Ratios(rows, 'healthy', 'readLatencies')}; writes ${p99Ratios(rows, 'healthy', 'writeLatencies')}.
`);

  for (const v of quorumViolations(rows)) {
    failed = true;
    log(`FAIL: ${v.tally.staleReads} stale reads in ${v.label}, phase ${v.phase} (invariant 4)`);
  }
  for (const a of audits) {
    const quorumMode = a.mode !== 'eventual';
    const lost = a.audit.lostUnits > 0 || a.audit.forkedSkus > 0;
    if (a.audit.unexplainedUnits > 0 || (quorumMode && lost)) {
      failed = true;
      log(`FAIL: stock audit of ${a.label}: ${JSON.stringify(a.audit)} (invariant 2)`);
    }
  }
  await dropDatabases(replicas, databases);
} finally {
  await resumeAll();
  await Promise.all(runs.map((run) => run.store.close()));
  const { down } = await hold.release();
  if (down) log('stack this run started is down again');
}
if (failed) process.exitCode = 1;
