/**
 * What `/dashboard` shows: every source's `/metrics` (this replica, the leader it knows, payment,
 * inventory), scraped when the page asks and at most once a second however many pages are open,
 * kept for a few minutes, and read into the seam panels. The page only draws what this says.
 */
import { parseExposition } from '@seamline/observability';
import type { Scrape, SourceScrape } from './scrape-math.ts';
import type { PanelStatus } from './seam-panels.ts';
import { SEAM_ROWS } from './seam-panels.ts';

/** A process whose `/metrics` the dashboard reads. */
export interface MetricsSource {
  readonly name: string;
  /** Base URL; `<url>/metrics` is scraped unless `read` is given. */
  readonly url: string;
  /** Reads the exposition text directly (this replica's own registry). */
  readonly read?: () => Promise<string>;
}

export interface DashboardFeedOptions {
  /** Window of the headline numbers (rates, increases, quantiles). @default 30000 */
  readonly windowMs?: number;
  /** Window of one sparkline point. @default 10000 */
  readonly stepMs?: number;
  /** How much history to keep. @default 300000 */
  readonly historyMs?: number;
  /** One source's scrape timeout; a slower source shows as down. @default 1500 */
  readonly scrapeTimeoutMs?: number;
  /** Scrapes closer together than this reuse the last one. @default 1000 */
  readonly minScrapeIntervalMs?: number;
}

export interface PanelView {
  readonly id: string;
  readonly question: string;
  readonly text: string;
  readonly detail: string;
  readonly status: PanelStatus;
  readonly value: number | null;
  /** One point per scrape, oldest first (null where the panel had nothing to say). */
  readonly series: (number | null)[];
}

export interface DashboardView {
  readonly at: number;
  readonly windowSeconds: number;
  readonly sources: { name: string; url: string; up: boolean; error?: string }[];
  readonly rows: { seam: string; panels: PanelView[] }[];
}

const SPARK_POINTS = 60;

export class DashboardFeed {
  private readonly history: Scrape[] = [];
  private inFlight: Promise<Scrape> | undefined;
  private readonly o: Required<DashboardFeedOptions>;

  constructor(
    private readonly sources: () => readonly MetricsSource[],
    options: DashboardFeedOptions = {},
    private readonly clock: () => number = Date.now,
  ) {
    this.o = {
      windowMs: options.windowMs ?? 30_000,
      stepMs: options.stepMs ?? 10_000,
      historyMs: options.historyMs ?? 300_000,
      scrapeTimeoutMs: options.scrapeTimeoutMs ?? 1_500,
      minScrapeIntervalMs: options.minScrapeIntervalMs ?? 1_000,
    };
  }

  /** Scrapes (unless a scrape is fresh or under way) and reads every panel. */
  async view(): Promise<DashboardView> {
    const now = await this.scrape();
    const rows = SEAM_ROWS.map((row) => ({
      seam: row.seam,
      panels: row.panels.map((panel): PanelView => {
        const before = this.before(now, this.o.windowMs);
        const r = before === undefined ? undefined : panel.read(now, before);
        const series = this.history.slice(-SPARK_POINTS).map((s) => {
          const b = this.before(s, this.o.stepMs);
          return b === undefined ? null : (panel.read(s, b).value ?? null);
        });
        return {
          id: panel.id,
          question: panel.question,
          text: r?.text ?? 'collecting…',
          detail: r?.detail ?? 'needs two scrapes',
          status: r?.status ?? 'idle',
          value: r?.value ?? null,
          series,
        };
      }),
    }));
    return {
      at: now.at,
      windowSeconds: this.o.windowMs / 1000,
      sources: now.sources.map(({ name, url, up, error }) => ({
        name,
        url,
        up,
        ...(error === undefined ? {} : { error }),
      })),
      rows,
    };
  }

  private async scrape(): Promise<Scrape> {
    const last = this.history.at(-1);
    if (last !== undefined && this.clock() - last.at < this.o.minScrapeIntervalMs) return last;
    this.inFlight ??= this.scrapeAll().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async scrapeAll(): Promise<Scrape> {
    const sources = await Promise.all(this.sources().map((s) => this.scrapeOne(s)));
    const scrape: Scrape = { at: this.clock(), sources };
    this.history.push(scrape);
    while (this.history.length > 0 && scrape.at - this.history[0]!.at > this.o.historyMs) {
      this.history.shift();
    }
    return scrape;
  }

  private async scrapeOne(source: MetricsSource): Promise<SourceScrape> {
    const base = { name: source.name, url: source.url };
    try {
      const text =
        source.read !== undefined
          ? await source.read()
          : await fetchText(`${source.url}/metrics`, this.o.scrapeTimeoutMs);
      return { ...base, up: true, samples: parseExposition(text).samples };
    } catch (err) {
      return { ...base, up: false, error: (err as Error).message, samples: [] };
    }
  }

  /** The latest scrape at least `ms` older than `now`, else the oldest one before `now`. */
  private before(now: Scrape, ms: number): Scrape | undefined {
    let pick: Scrape | undefined;
    for (const s of this.history) {
      if (s.at >= now.at) break;
      if (pick === undefined || s.at <= now.at - ms) pick = s;
    }
    return pick;
  }
}

async function fetchText(url: string, timeoutMs: number): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return res.text();
}
