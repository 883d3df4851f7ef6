/**
 * One measured closed-loop level of a system under test: CPU of every process sampled from /proc
 * around the loop, reduced to sagas/s, percentiles and CPU ms per saga per process. Shared by the
 * peer bench and the profile bench, so both report the same figures the same way.
 */
import os from 'node:os';
import { closedLoop } from './closed-loop.ts';
import type { LoopRun, PlaceOrder } from './closed-loop.ts';
import { levelFigures } from './peer-report.ts';
import type { LevelFigures } from './peer-report.ts';
import { cpuDeltaMs, sampleCpu } from './proc-cpu.ts';
import type { CpuSource } from './proc-cpu.ts';

export interface LoadedSystem {
  readonly place: PlaceOrder;
  readonly cpuSources: readonly CpuSource[];
}

export interface LevelPlan {
  clients: number;
  seconds: number;
  seed: number;
  /** Prefix of every order key; must differ between levels and runs. */
  keyPrefix: string;
}

export async function measureLevel(
  system: LoadedSystem,
  plan: LevelPlan,
  ticksPerSecond: number,
): Promise<{ loop: LoopRun; figures: LevelFigures }> {
  const before = sampleCpu(system.cpuSources);
  const loop = await closedLoop({ ...plan, place: system.place });
  const figures = levelFigures(
    loop,
    cpuDeltaMs(before, sampleCpu(system.cpuSources), ticksPerSecond),
  );
  return { loop, figures };
}

/** The progress line of a finished level. */
export function levelLine(label: string, figures: LevelFigures, loop: LoopRun): string {
  return (
    `${label}, ${figures.clients} clients: ${figures.sagasPerSecond.toFixed(1)} sagas/s, ` +
    `p50 ${figures.p50.toFixed(0)} ms, p99 ${figures.p99.toFixed(0)} ms, ` +
    `CPU ${figures.cpuMsPerSagaTotal.toFixed(1)} ms/saga, ${JSON.stringify(loop.outcomes)}` +
    (loop.errors > 0 ? `, ${loop.errors} errors (${loop.firstErrors.join(' | ')})` : '')
  );
}

/**
 * The machine a report was measured on; with `loadAtStart`, also the 1-minute load average then
 * and now.
 */
export function machineLine(loadAtStart?: number): string {
  const cpu = os.cpus();
  const load =
    loadAtStart === undefined
      ? ''
      : `load average ${loadAtStart.toFixed(1)} at the start and ${os.loadavg()[0]!.toFixed(1)} at the end; `;
  return (
    `${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
    `${load}Node ${process.version}`
  );
}
