import type { BatchRepair } from './batch-repair.ts';
import type { QuorumObserver } from './options.ts';
import type { ReadOutcome } from './quorum-decision.ts';
import type { Replica } from './replica.ts';
import type { RecordChange } from './replica-sql.ts';

export interface AntiEntropyReport {
  readonly domain: string;
  /** Changed keys compared across the replicas (a key changed on three replicas counts thrice). */
  readonly compared: number;
  /** Of those, keys whose replicas did not all hold the newest version. */
  readonly divergent: number;
  /** Records copied by this pass (whole batches). */
  readonly repaired: number;
  /** Repair groups a replica's fence refused (a stale batch that must not spread). */
  readonly refused: number;
  /** Replicas that could not be compared (down or timed out). */
  readonly unreachable: readonly string[];
}

/**
 * Incremental anti-entropy (ADR 0015). Every replica numbers its record changes (`change_seq`);
 * a pass reads, per replica, the changes after that replica's watermark one bounded page at a
 * time, compares just those keys across every replica, repairs by batch and then moves the
 * watermark on. The first pass of a process starts at 0, so it is a full scan, paged too. Cost
 * follows the write rate since the last pass, not the history.
 *
 * A watermark only passes changes that are (a) compared on every replica, so a replica that was
 * down is compared again when it is back, and (b) settled: a change younger than the settle
 * time may have a concurrent transaction with a lower sequence still in flight.
 *
 * What it cannot see is a record lost on one replica outside the store (a row deleted by hand):
 * no replica records a change for it. The first pass of every process (a full one) finds it, and
 * so does the pass after a replica was rebuilt, whose change numbers restart below the mark.
 */
export class IncrementalAntiEntropy {
  private readonly watermarks = new Map<string, number>();

  constructor(
    private readonly replicas: readonly Replica[],
    private readonly repair: BatchRepair,
    private readonly observer: QuorumObserver,
    private readonly pageSize: number,
    private readonly settleMs: number,
  ) {}

  /** The watermark of each replica: the change sequence up to which it was compared. */
  get positions(): ReadonlyMap<string, number> {
    return this.watermarks;
  }

  async pass(): Promise<AntiEntropyReport[]> {
    const byDomain = new Map<
      string,
      {
        compared: number;
        divergent: number;
        repaired: number;
        refused: number;
        unreachable: Set<string>;
      }
    >();
    const tally = (domain: string) => {
      let t = byDomain.get(domain);
      if (t === undefined)
        byDomain.set(
          domain,
          (t = { compared: 0, divergent: 0, repaired: 0, refused: 0, unreachable: new Set() }),
        );
      return t;
    };
    for (const source of this.replicas) {
      // Every change after the watermark is compared in this pass, page by page; the watermark
      // only moves over the settled prefix (so unsettled changes are compared again next pass).
      let cursor = this.watermarks.get(source.name) ?? 0;
      let settledSoFar = true;
      for (;;) {
        const after = cursor;
        let page: RecordChange[];
        try {
          page = await source.changes(after, this.pageSize, this.settleMs);
        } catch {
          break;
        }
        if (page.length === 0) {
          // A replica rebuilt from scratch (or a backup) numbers its changes from below our
          // watermark again, and what it lacks are old changes of the others: start over on
          // every replica, a full (paged) pass.
          if (after > 0 && (await source.lastChange().catch(() => after)) < after)
            this.watermarks.clear();
          break;
        }
        let complete = true;
        for (const [domain, keys] of groupByDomain(page)) {
          const t = tally(domain);
          const responses = await this.readEverywhere(domain, keys);
          const down = responses.filter((r) => r.kind === 'failed').map((r) => r.replica);
          for (const d of down) t.unreachable.add(d);
          if (down.length > 0) complete = false;
          const result = await this.repair.repair(domain, responses);
          t.compared += keys.length;
          t.divergent += result.divergent.size;
          t.repaired += result.repaired;
          t.refused += result.refused;
        }
        if (!complete) break;
        const last = page[page.length - 1]!.changeSeq;
        if (settledSoFar) {
          const settledUpTo = settledPrefixEnd(page);
          if (settledUpTo !== undefined) this.watermarks.set(source.name, settledUpTo);
          if (settledUpTo !== last) settledSoFar = false;
        }
        cursor = last;
        if (page.length < this.pageSize) break;
      }
    }
    const reports: AntiEntropyReport[] = [];
    for (const [domain, t] of [...byDomain].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      this.observer.onDivergence?.(domain, t.divergent);
      reports.push({
        domain,
        compared: t.compared,
        divergent: t.divergent,
        repaired: t.repaired,
        refused: t.refused,
        unreachable: [...t.unreachable].sort(),
      });
    }
    return reports;
  }

  private async readEverywhere(domain: string, keys: readonly string[]): Promise<ReadOutcome[]> {
    return Promise.all(
      this.replicas.map(async (r): Promise<ReadOutcome> => {
        try {
          return { kind: 'ok', replica: r.name, records: await r.read(domain, keys) };
        } catch (err) {
          return { kind: 'failed', replica: r.name, reason: (err as Error).message };
        }
      }),
    );
  }
}

function groupByDomain(page: readonly RecordChange[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const c of page) {
    let keys = out.get(c.domain);
    if (keys === undefined) out.set(c.domain, (keys = []));
    keys.push(c.key);
  }
  return out;
}

/** The last change sequence of the page's settled prefix; undefined when its first is unsettled. */
function settledPrefixEnd(page: readonly RecordChange[]): number | undefined {
  let end: number | undefined;
  for (const c of page) {
    if (!c.settled) break;
    end = c.changeSeq;
  }
  return end;
}
