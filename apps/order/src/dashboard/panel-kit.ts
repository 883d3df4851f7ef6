/**
 * What a dashboard panel is: a question answered from two scrapes (now, and the start of the
 * window), as a number the sparkline plots, a sentence and a status; plus the formatting and
 * the panel shapes several rows share.
 */
import { METRIC_NAMES as M } from '@seamline/observability';
import type { Scrape } from './scrape-math.ts';
import { counterTotal, quantileBetween, sum, totalIncrease } from './scrape-math.ts';

export type PanelStatus = 'ok' | 'warn' | 'bad' | 'idle';

export interface PanelReading {
  readonly value: number | undefined;
  readonly text: string;
  readonly detail: string;
  readonly status: PanelStatus;
}

export interface PanelSpec {
  readonly id: string;
  readonly question: string;
  read(now: Scrape, before: Scrape): PanelReading;
}

export interface RowSpec {
  readonly seam: string;
  readonly panels: readonly PanelSpec[];
}

/** The quorum write latency objective the alert rules use (seconds). */
export const WRITE_P99_OBJECTIVE_S = 0.05;

export const seconds = (now: Scrape, before: Scrape) =>
  Math.max(0.001, (now.at - before.at) / 1000);
export const fmt = (n: number, digits = 1) => (Number.isInteger(n) ? String(n) : n.toFixed(digits));
export const ms = (s: number | undefined) => (s === undefined ? '–' : `${fmt(s * 1000)} ms`);
export const perSec = (n: number) => `${fmt(n, 2)}/s`;
export const list = (m: ReadonlyMap<string, number>, f: (n: number) => string = (n) => fmt(n)) =>
  [...m].map(([k, v]) => `${k || 'all'} ${f(v)}`).join(' · ');

export function reading(
  value: number | undefined,
  text: string,
  detail: string,
  status: PanelStatus,
): PanelReading {
  return { value, text, detail, status };
}

export function latency(
  id: string,
  question: string,
  op: string,
  options: { objective?: number; also?: string } = {},
): PanelSpec {
  return {
    id,
    question,
    read(now, before) {
      const p99 = quantileBetween(now, before, 0.99, M.quorumOpDuration, { op });
      const also =
        options.also === undefined
          ? ''
          : ` · ${options.also} p99 ${ms(quantileBetween(now, before, 0.99, M.quorumOpDuration, { op: options.also }).value)}`;
      if (p99.count === 0)
        return reading(undefined, 'no ops', `no ${op} in the window${also}`, 'idle');
      const over = options.objective !== undefined && (p99.value ?? 0) > options.objective;
      const goal = options.objective === undefined ? '' : ` · objective ${ms(options.objective)}`;
      return reading(
        p99.value,
        `p99 ${ms(p99.value)}`,
        `${p99.count} ${op}s${goal}${also}`,
        over ? 'bad' : 'ok',
      );
    },
  };
}

/** A counter that should stay flat: warn while it grows, and after it grew at all. */
export function anyIncrease(id: string, question: string, name: string, by: string): PanelSpec {
  return {
    id,
    question,
    read(now: Scrape, before: Scrape): PanelReading {
      const recent = totalIncrease(now, before, name);
      const total = counterTotal(now, name, by);
      const status = recent > 0 || sum(total) > 0 ? 'warn' : 'ok';
      return reading(
        recent,
        `${fmt(recent)} in window`,
        `since start: ${list(total) || '0'}`,
        status,
      );
    },
  };
}
