/**
 * PromQL's handful of functions the dashboard needs, over two scrapes of every source: gauges
 * now, counter increases between two scrapes (per source, counter resets and newborn series
 * handled as Prometheus and the alert rules do) and histogram quantiles over that interval.
 */
import type { Sample } from '@seamline/observability';
import { bucketQuantile, labelsMatch } from '@seamline/observability';

/** One source's `/metrics` at one moment. */
export interface SourceScrape {
  /** Replica name (`order-1`, `payment`, ...). */
  readonly name: string;
  readonly url: string;
  readonly up: boolean;
  readonly error?: string;
  readonly samples: readonly Sample[];
}

/** Every source, scraped at (about) the same moment. */
export interface Scrape {
  /** Epoch ms. */
  readonly at: number;
  readonly sources: readonly SourceScrape[];
}

export type Match = Readonly<Record<string, string>>;

/** A gauge's samples across sources, each tagged with the source it came from. */
export function gaugeSamples(
  scrape: Scrape,
  name: string,
  match: Match = {},
): { source: string; labels: Readonly<Record<string, string>>; value: number }[] {
  const out = [];
  for (const src of scrape.sources) {
    for (const s of src.samples) {
      if (s.name === name && labelsMatch(s.labels, match)) {
        out.push({ source: src.name, labels: s.labels, value: s.value });
      }
    }
  }
  return out;
}

/** Max of a gauge across sources and series, grouped by `by` (a label, or 'source'). */
export function gaugeMax(
  scrape: Scrape,
  name: string,
  by?: string,
  match: Match = {},
): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of gaugeSamples(scrape, name, match)) {
    const key = groupKey(s.source, s.labels, by);
    out.set(key, Math.max(out.get(key) ?? Number.NEGATIVE_INFINITY, s.value));
  }
  return out;
}

/** Sum of a counter now (since each process started), grouped by `by`. */
export function counterTotal(scrape: Scrape, name: string, by?: string, match: Match = {}) {
  const out = new Map<string, number>();
  for (const s of gaugeSamples(scrape, name, match)) {
    const key = groupKey(s.source, s.labels, by);
    out.set(key, (out.get(key) ?? 0) + s.value);
  }
  return out;
}

/**
 * How much a counter grew from `before` to `now`, grouped by `by`. A series that shrank was
 * reset (the process restarted): its whole current value counts. A series that is new in `now`
 * while its source was up in `before` was born by its first increments: its value counts too.
 */
export function increase(
  now: Scrape,
  before: Scrape,
  name: string,
  by?: string,
  match: Match = {},
): Map<string, number> {
  const out = new Map<string, number>();
  for (const src of now.sources) {
    const prev = before.sources.find((s) => s.name === src.name);
    if (prev === undefined || !prev.up) continue;
    const old = new Map<string, number>();
    for (const s of prev.samples) if (s.name === name) old.set(seriesKey(s), s.value);
    for (const s of src.samples) {
      if (s.name !== name || !labelsMatch(s.labels, match)) continue;
      const was = old.get(seriesKey(s)) ?? 0;
      const grew = s.value >= was ? s.value - was : s.value;
      const key = groupKey(src.name, s.labels, by);
      out.set(key, (out.get(key) ?? 0) + grew);
    }
  }
  return out;
}

/** Sum over every group of an {@link increase}. */
export function totalIncrease(
  now: Scrape,
  before: Scrape,
  name: string,
  match: Match = {},
): number {
  return sum(increase(now, before, name, undefined, match));
}

/** The `q` quantile of histogram `name` over the observations made between the two scrapes. */
export function quantileBetween(
  now: Scrape,
  before: Scrape,
  q: number,
  name: string,
  match: Match = {},
): { value: number | undefined; count: number } {
  const byLe = increase(now, before, `${name}_bucket`, 'le', match);
  const buckets = [...byLe].map(([le, count]) => ({ le: parseLe(le), count }));
  const count = buckets.find((b) => b.le === Number.POSITIVE_INFINITY)?.count ?? 0;
  return { value: bucketQuantile(q, buckets), count };
}

export function sum(values: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const v of values.values()) total += v;
  return total;
}

export function max(values: ReadonlyMap<string, number>): number | undefined {
  return values.size === 0 ? undefined : Math.max(...values.values());
}

function parseLe(le: string): number {
  return le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
}

function seriesKey(s: Sample): string {
  return JSON.stringify(Object.entries(s.labels).sort(([a], [b]) => a.localeCompare(b)));
}

function groupKey(source: string, labels: Readonly<Record<string, string>>, by?: string): string {
  if (by === undefined) return '';
  if (by === 'source') return source;
  return labels[by] ?? '';
}
