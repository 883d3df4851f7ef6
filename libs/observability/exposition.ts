/**
 * Reads the Prometheus text exposition format (what `/metrics` serves) back into samples, for
 * the consumers inside the project that look at a live `/metrics` without a Prometheus server:
 * the order service's `/dashboard` and the tests that check a signal is exposed and moves.
 */

/** One sample line: `name{labels} value`. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A parsed exposition: its samples and the metric families it declares (`# TYPE` lines). */
export interface Exposition {
  readonly samples: readonly Sample[];
  /** Family name -> type (`counter`, `gauge`, `histogram`, ...), samples or not. */
  readonly families: ReadonlyMap<string, string>;
}

const TYPE_LINE = /^#\s*TYPE\s+([a-zA-Z_:][a-zA-Z0-9_:]*)\s+(\w+)\s*$/;
const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(\s+-?\d+)?\s*$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/gy;

/**
 * Parses an exposition text. Lines it cannot read are skipped rather than failing the whole
 * scrape: one odd line must not blank a dashboard.
 */
export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const families = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const type = TYPE_LINE.exec(line);
      if (type !== null) families.set(type[1]!, type[2]!);
      continue;
    }
    const m = SAMPLE_LINE.exec(line);
    if (m === null) continue;
    const labels = m[2] === undefined ? {} : parseLabels(m[2].slice(1, -1));
    const value = parseValue(m[3]!);
    if (labels === undefined || value === undefined) continue;
    samples.push({ name: m[1]!, labels, value });
  }
  return { samples, families };
}

function parseLabels(body: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  LABEL.lastIndex = 0;
  let at = 0;
  while (at < body.length) {
    LABEL.lastIndex = at;
    const m = LABEL.exec(body);
    if (m === null) return body.slice(at).trim() === '' ? out : undefined;
    out[m[1]!] = m[2]!.replace(/\\(.)/g, (_all, c: string) => (c === 'n' ? '\n' : c));
    at = LABEL.lastIndex;
  }
  return out;
}

function parseValue(text: string): number | undefined {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  const n = Number(text);
  return Number.isNaN(n) ? undefined : n;
}

/** Sum of the samples named `name` whose labels include every pair of `match`. */
export function sumSamples(
  samples: readonly Sample[],
  name: string,
  match: Readonly<Record<string, string>> = {},
): number {
  let sum = 0;
  for (const s of samples) {
    if (s.name === name && labelsMatch(s.labels, match)) sum += s.value;
  }
  return sum;
}

/** Whether `labels` carries every pair of `match`. */
export function labelsMatch(
  labels: Readonly<Record<string, string>>,
  match: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(match).every(([k, v]) => labels[k] === v);
}

/**
 * The `q` quantile (0..1) of a histogram from cumulative bucket counts, interpolating linearly
 * inside the bucket as Prometheus' `histogram_quantile` does. Undefined without observations.
 */
export function bucketQuantile(
  q: number,
  buckets: readonly { readonly le: number; readonly count: number }[],
): number | undefined {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted.at(-1)?.count ?? 0;
  if (total <= 0 || sorted.at(-1)?.le !== Number.POSITIVE_INFINITY) return undefined;
  const rank = q * total;
  let lowerLe = 0;
  let lowerCount = 0;
  for (const b of sorted) {
    if (b.count >= rank) {
      // The +Inf bucket has no upper edge: answer the highest finite one, as Prometheus does.
      if (b.le === Number.POSITIVE_INFINITY) return lowerLe;
      const inBucket = b.count - lowerCount;
      return inBucket <= 0 ? b.le : lowerLe + ((b.le - lowerLe) * (rank - lowerCount)) / inBucket;
    }
    lowerLe = b.le;
    lowerCount = b.count;
  }
  return undefined;
}
