/**
 * The peer benchmark's figures and its one table: per level, Seamline's row, Restate's row (its
 * better configuration) and the ratio Seamline/Restate. Pure, so the arithmetic is unit-tested.
 */
import { percentile } from '../load-stats.ts';
import type { LoopRun } from './closed-loop.ts';

export interface LatencyPercentiles {
  p50: number;
  p90: number;
  p99: number;
}

export function latencyPercentiles(samplesMs: readonly number[]): LatencyPercentiles {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
  };
}

/** One level of one system, reduced to what the table shows. */
export interface LevelFigures extends LatencyPercentiles {
  clients: number;
  sagas: number;
  errors: number;
  seconds: number;
  sagasPerSecond: number;
  /** Share of sagas that ended CANCELLED (compensated or refused), 0..1. */
  cancelledShare: number;
  outcomes: Record<string, number>;
  /** CPU ms per finished saga, per process of the system, in the system's process order. */
  cpuMsPerSaga: Record<string, number>;
  cpuMsPerSagaTotal: number;
}

export function levelFigures(run: LoopRun, cpuMs: Record<string, number>): LevelFigures {
  const sagas = run.latenciesMs.length;
  const perSaga = (ms: number) => (sagas > 0 ? ms / sagas : Number.NaN);
  const cpuMsPerSaga = Object.fromEntries(
    Object.entries(cpuMs).map(([name, ms]) => [name, perSaga(ms)]),
  );
  const cancelled = Object.entries(run.outcomes)
    .filter(([outcome]) => outcome.startsWith('CANCELLED'))
    .reduce((sum, [, n]) => sum + n, 0);
  return {
    clients: run.clients,
    sagas,
    errors: run.errors,
    seconds: run.seconds,
    sagasPerSecond: run.seconds > 0 ? sagas / run.seconds : Number.NaN,
    cancelledShare: sagas > 0 ? cancelled / sagas : Number.NaN,
    outcomes: run.outcomes,
    ...latencyPercentiles(run.latenciesMs),
    cpuMsPerSaga,
    cpuMsPerSagaTotal: perSaga(Object.values(cpuMs).reduce((sum, ms) => sum + ms, 0)),
  };
}

/** One system (or one configuration of it) over every level. */
export interface SystemRun {
  label: string;
  levels: LevelFigures[];
}

/**
 * The better of several runs of one system: the one with the higher throughput at the highest
 * level (where configurations differ most), the sum over levels breaking a tie.
 */
export function betterRun(runs: readonly SystemRun[]): SystemRun {
  if (runs.length === 0) throw new RangeError('betterRun needs at least one run');
  const score = (run: SystemRun) => {
    const top = run.levels.reduce<LevelFigures | undefined>(
      (best, level) => (best === undefined || level.clients > best.clients ? level : best),
      undefined,
    );
    const sum = run.levels.reduce((total, level) => total + (level.sagasPerSecond || 0), 0);
    return [top?.sagasPerSecond || 0, sum] as const;
  };
  return runs.reduce((best, run) => {
    const [a, b] = [score(run), score(best)];
    return a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]) ? run : best;
  });
}

/** `a / b` as `1.23x`; a dash when either side is missing or b is 0. */
export function ratio(a: number, b: number): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '-';
  return `${(a / b).toFixed(2)}x`;
}

function fixed(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

/** Milliseconds: whole numbers from 10 up, one decimal below. */
function ms(n: number): string {
  return fixed(n, Math.abs(n) >= 10 ? 0 : 1);
}

function byProcess(level: LevelFigures): string {
  return Object.entries(level.cpuMsPerSaga)
    .map(([name, value]) => `${name} ${fixed(value, 1)}`)
    .join(' · ');
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

const HEADER = [
  'clients',
  'system',
  'sagas/s',
  'p50 ms',
  'p90 ms',
  'p99 ms',
  'cancelled',
  'errors',
  'CPU ms/saga',
  'CPU ms/saga by process',
];

/**
 * The table: for each level Seamline, Restate and the ratio Seamline/Restate (above 1 means
 * Seamline has more of it: better for sagas/s, worse for latency and CPU). Levels are matched by
 * client count; a level only one side ran shows a dash for the other.
 */
export function renderPeerTable(seamline: SystemRun, restate: SystemRun): string {
  const lines = [row(HEADER), row(HEADER.map(() => '---'))];
  const clients = [...new Set([...seamline.levels, ...restate.levels].map((l) => l.clients))].sort(
    (a, b) => a - b,
  );
  const systemRow = (label: string, l: LevelFigures) =>
    row([
      String(l.clients),
      label,
      fixed(l.sagasPerSecond, 1),
      ms(l.p50),
      ms(l.p90),
      ms(l.p99),
      `${fixed(l.cancelledShare * 100, 1)} %`,
      String(l.errors),
      fixed(l.cpuMsPerSagaTotal, 1),
      byProcess(l),
    ]);
  for (const n of clients) {
    const s = seamline.levels.find((l) => l.clients === n);
    const r = restate.levels.find((l) => l.clients === n);
    if (s) lines.push(systemRow(seamline.label, s));
    if (r) lines.push(systemRow(restate.label, r));
    if (s && r) {
      lines.push(
        row([
          String(n),
          '**Seamline/Restate**',
          ratio(s.sagasPerSecond, r.sagasPerSecond),
          ratio(s.p50, r.p50),
          ratio(s.p90, r.p90),
          ratio(s.p99, r.p99),
          '',
          '',
          ratio(s.cpuMsPerSagaTotal, r.cpuMsPerSagaTotal),
          '',
        ]),
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Sagas/s of every configuration per level, so the choice of the better one can be checked. */
export function renderConfigLine(runs: readonly SystemRun[]): string {
  return runs
    .map(
      (run) =>
        `${run.label}: ${run.levels.map((l) => `${l.clients} clients ${fixed(l.sagasPerSecond, 1)}/s`).join(', ')}`,
    )
    .join('; ');
}
