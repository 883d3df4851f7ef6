/**
 * Turns successive scrapes of one process into the moments its seam signals move, for
 * signal-timeline.ts: a watched gauge changing, a watched counter starting to grow after a
 * quiet spell, a latency histogram gaining observations above its objective, the process
 * becoming unreachable or reachable again. Pure: the caller keeps the state between scrapes.
 */
import type { Sample } from '@seamline/observability';
import { METRIC_NAMES as M } from '@seamline/observability';

export interface SignalState {
  readonly up: boolean;
  /** Watched series (and derived "slow" counters) by key, as of the last good scrape. */
  readonly values: ReadonlyMap<string, number>;
  /** When each counter last grew (epoch ms). */
  readonly lastGrowth: ReadonlyMap<string, number>;
  /** The level each gauge was last reported at. */
  readonly levels: ReadonlyMap<string, number | string>;
}

/** A counter that grows after this long without growing is reported as starting to move. */
export const QUIET_MS = 3_000;

const GAUGES = new Set<string>([
  M.consumerLag,
  M.replicaEjected,
  M.replicaDivergence,
  M.leaderTerm,
  M.isLeader,
  M.sagasStuck,
  M.retryBudgetBalance,
]);

const COUNTERS = new Set<string>([
  M.leaderChanges,
  M.fencingRejections,
  M.retriesAttempted,
  M.retriesShed,
  M.deadLetters,
  M.quorumIndeterminate,
  M.quorumRepairs,
  M.dedupHits,
  M.duplicateEffects,
  M.httpShed,
]);

/** Histograms watched as "observations slower than the objective" (upper edge in seconds). */
const SLOW: Readonly<Record<string, { le: string; by: string }>> = {
  [`${M.quorumOpDuration}_bucket`]: { le: '0.05', by: 'op' },
  [`${M.sagaDuration}_bucket`]: { le: '2.5', by: '' },
  [`${M.httpRequestDuration}_bucket`]: { le: '1', by: 'route' },
};

function labelText(labels: Readonly<Record<string, string>>, drop: string[] = []): string {
  const parts = Object.entries(labels)
    .filter(([k]) => !drop.includes(k))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}="${v}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** The watched values of one scrape, by key. */
export function watchedValues(samples: readonly Sample[]): Map<string, number> {
  const out = new Map<string, number>();
  const add = (key: string, v: number) => out.set(key, (out.get(key) ?? 0) + v);
  for (const s of samples) {
    if (GAUGES.has(s.name)) add(`gauge ${s.name}${labelText(s.labels)}`, s.value);
    else if (COUNTERS.has(s.name)) add(`counter ${s.name}${labelText(s.labels)}`, s.value);
    else if (s.name === M.quorumAcks && s.labels['outcome'] !== 'ack') {
      add(`counter ${s.name}${labelText(s.labels)}`, s.value);
    } else if (s.name === M.sagaOutcomes && s.labels['outcome'] === 'cancelled') {
      add(`counter ${s.name}${labelText(s.labels)}`, s.value);
    } else if (s.name === M.httpRequests && s.labels['status']?.startsWith('5')) {
      add(`counter ${s.name}{status="5xx"}`, s.value);
    }
    const slow = SLOW[s.name];
    if (slow !== undefined) {
      const base = s.name.replace(/_bucket$/, '');
      const group = slow.by === '' ? '' : `{${slow.by}="${s.labels[slow.by] ?? ''}"}`;
      const key = `counter slower than ${slow.le}s: ${base}${group}`;
      // All observations minus those within the objective: the ones above it.
      if (s.labels['le'] === '+Inf') add(key, s.value);
      else if (s.labels['le'] === slow.le) add(key, -s.value);
    }
  }
  return out;
}

/**
 * Gauges that wander under normal load are reported only when they cross a level: consumer
 * lag by order of magnitude; a retry budget when it runs empty (< 1 token) or refills (>= 10),
 * not while it hovers around one token as retries drain it.
 */
function level(name: string, v: number, reported: number | string | undefined): number | string {
  if (name.startsWith(M.consumerLag)) return v === 0 ? 0 : Math.floor(Math.log10(v)) + 1;
  if (name.startsWith(M.retryBudgetBalance)) {
    if (v < 1) return 'empty';
    if (v >= 10) return 'available';
    return reported ?? 'available';
  }
  return v;
}

/** Events between the previous state and this scrape (`undefined`: the scrape failed). */
export function signalEvents(
  prev: SignalState | undefined,
  samples: readonly Sample[] | undefined,
  now: number,
): { events: string[]; next: SignalState } {
  if (samples === undefined) {
    const next = prev ?? { up: false, values: new Map(), lastGrowth: new Map(), levels: new Map() };
    const events = prev?.up === false ? [] : ['unreachable: /metrics does not answer'];
    return { events, next: { ...next, up: false } };
  }
  const values = watchedValues(samples);
  const events: string[] = [];
  if (prev?.up === false && prev.values.size > 0) events.push('reachable again');
  if (prev === undefined || prev.values.size === 0) {
    return { events, next: { up: true, values, lastGrowth: new Map(), levels: new Map() } };
  }
  const lastGrowth = new Map(prev.lastGrowth);
  const levels = new Map(prev.levels);
  for (const [key, value] of values) {
    const was = prev.values.get(key);
    const [kind, ...rest] = key.split(' ');
    const name = rest.join(' ');
    if (kind === 'gauge') {
      const reported = levels.get(key);
      const lvl = level(name, value, reported);
      const moved =
        was === undefined ? value !== 0 : lvl !== (reported ?? level(name, was, undefined));
      if (moved) events.push(`${name} ${was ?? '∅'} → ${value}`);
      levels.set(key, lvl);
      continue;
    }
    const grew = value - (was ?? 0);
    if (grew <= 0) continue;
    const quietSince = lastGrowth.get(key);
    if (quietSince === undefined || now - quietSince >= QUIET_MS) {
      events.push(`${name} starts growing (+${grew}, now ${value})`);
    }
    lastGrowth.set(key, now);
  }
  return { events, next: { up: true, values, lastGrowth, levels } };
}
