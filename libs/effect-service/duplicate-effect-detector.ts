/**
 * The continuous, incremental duplicate-effect check of one effect service (issue 13): the
 * auditor's no-double-effect rule (`findDuplicateEffects` of @seamline/audit) applied, in the
 * writer's background, to the orders whose ledger changed since the last pass.
 *
 * The watermark is the writer's own record of what it wrote: every batch that collected its
 * acks hands its `ledger:` rows to {@link DuplicateEffectDetector.written} (no I/O, bounded), and
 * each pass takes a bounded page of those orders, scans each order's ledger entries with a
 * quorum read (`ledger:<orderId>:` — so entries a predecessor wrote are seen too), and reports
 * each duplicated effect (`<orderId>:<kind>`) once; the effects reported are remembered, bounded,
 * so a later write for the same order does not count it again.
 *
 * Not seen here (the whole-snapshot auditor still sees them): a duplicate filed under a key
 * outside its order's prefix whose twin is also outside it, a batch left indeterminate that
 * landed without a re-drive, and writes of a writer that stopped before its next pass.
 */
import type { DuplicateEffect, EffectEntry, LedgerRecord, LedgerService } from '@seamline/audit';
import { findDuplicateEffects, readLedger } from '@seamline/audit';
import type { ScanOptions, ScanPage } from '@seamline/quorum-store';

/** The part of the quorum store the detector reads through (QuorumStore satisfies it). */
export interface LedgerScanner {
  scan(domain: string, options: ScanOptions): Promise<ScanPage>;
}

/** Options of {@link DuplicateEffectDetector}. */
export interface DuplicateEffectDetectorOptions {
  /** Whose ledger schema the records follow: the auditor's books of this service. */
  readonly service: LedgerService;
  /** The quorum-store domain the ledger lives in. */
  readonly domain: string;
  readonly store: LedgerScanner;
  /** Called once per duplicated effect found (never again for a remembered one). */
  readonly onDuplicate: (duplicate: DuplicateEffect) => void;
  /** Orders examined per pass; the rest wait for the next. @default 500 */
  readonly ordersPerPass?: number;
  /** Orders scanned at once. @default 8 */
  readonly concurrency?: number;
  /** Ledger entries read per order, at most. @default 100 */
  readonly entriesPerOrder?: number;
  /** Orders waiting to be examined, at most; later writes beyond it are dropped (counted). @default 10000 */
  readonly backlog?: number;
  /** Duplicated effects remembered as reported; the oldest is forgotten first. @default 10000 */
  readonly remember?: number;
}

/** What one pass did. */
export interface DetectorPass {
  /** Orders whose ledger was scanned. */
  readonly orders: number;
  /** Duplicated effects found and not reported before (each reported once, in this pass). */
  readonly found: readonly DuplicateEffect[];
  /** Orders whose scan failed: they wait for the next pass. */
  readonly failed: number;
  /** Orders still waiting after this pass. */
  readonly waiting: number;
  /** Orders dropped since the previous pass because the backlog was full. */
  readonly dropped: number;
}

const LEDGER = 'ledger:';

export class DuplicateEffectDetector {
  readonly #o: Required<Omit<DuplicateEffectDetectorOptions, 'onDuplicate' | 'store'>> &
    Pick<DuplicateEffectDetectorOptions, 'onDuplicate' | 'store'>;
  /** orderId -> the ledger rows written for it since its last examination. */
  readonly #waiting = new Map<string, LedgerRecord[]>();
  /** Duplicated effects already reported, oldest first. */
  readonly #reported = new Set<string>();
  #dropped = 0;
  #passes = 0;

  constructor(options: DuplicateEffectDetectorOptions) {
    this.#o = {
      ordersPerPass: 500,
      concurrency: 8,
      entriesPerOrder: 100,
      backlog: 10_000,
      remember: 10_000,
      ...options,
    };
    for (const field of [
      'ordersPerPass',
      'concurrency',
      'entriesPerOrder',
      'backlog',
      'remember',
    ] as const) {
      const v = this.#o[field];
      if (!Number.isInteger(v) || v < 1)
        throw new RangeError(
          `duplicate-effect detector: ${field} must be an integer >= 1, got ${v}`,
        );
    }
  }

  /** Passes finished so far. */
  get passes(): number {
    return this.#passes;
  }

  /** Orders waiting to be examined. */
  get waiting(): number {
    return this.#waiting.size;
  }

  /**
   * Notes rows a batch wrote (the effect writer's `onWritten`). On the write path: no I/O, no
   * parsing beyond finding the order, bounded by `backlog`.
   */
  written(rows: readonly LedgerRecord[]): void {
    for (const row of rows) {
      if (!row.key.startsWith(LEDGER)) continue;
      const orderId = orderOf(row);
      if (orderId === undefined) continue; // malformed: the auditor reports it
      const seen = this.#waiting.get(orderId);
      if (seen !== undefined) {
        if (seen.length < this.#o.entriesPerOrder) seen.push(row);
      } else if (this.#waiting.size < this.#o.backlog) this.#waiting.set(orderId, [row]);
      else this.#dropped += 1;
    }
  }

  /** Examines up to `ordersPerPass` waiting orders; reports what it finds through `onDuplicate`. */
  async pass(): Promise<DetectorPass> {
    const batch: [string, LedgerRecord[]][] = [];
    for (const entry of this.#waiting) {
      if (batch.length >= this.#o.ordersPerPass) break;
      batch.push(entry);
    }
    for (const [orderId] of batch) this.#waiting.delete(orderId);
    const found: DuplicateEffect[] = [];
    let failed = 0;
    for (let i = 0; i < batch.length; i += this.#o.concurrency) {
      const chunk = batch.slice(i, i + this.#o.concurrency);
      const results = await Promise.allSettled(
        chunk.map(([orderId, rows]) => this.#ledgerOf(orderId, rows)),
      );
      results.forEach((result, j) => {
        if (result.status === 'rejected') {
          failed += 1;
          const [orderId, rows] = chunk[j]!;
          // Back in line, ahead of nothing: a store outage delays the check, never skips it.
          this.#waiting.set(orderId, [...rows, ...(this.#waiting.get(orderId) ?? [])]);
          return;
        }
        for (const duplicate of findDuplicateEffects(result.value)) {
          if (this.#reported.has(duplicate.effect)) continue;
          this.#remember(duplicate.effect);
          found.push(duplicate);
          this.#o.onDuplicate(duplicate);
        }
      });
    }
    const dropped = this.#dropped;
    this.#dropped = 0;
    this.#passes += 1;
    return { orders: batch.length - failed, found, failed, waiting: this.#waiting.size, dropped };
  }

  /** The order's ledger entries in the store, plus the rows written (a misfiled key included). */
  async #ledgerOf(orderId: string, written: readonly LedgerRecord[]): Promise<EffectEntry[]> {
    const byKey = new Map<string, LedgerRecord>(written.map((r) => [r.key, r]));
    const keyPrefix = `${LEDGER}${orderId}:`;
    let afterKey: string | undefined;
    let read = 0;
    do {
      const limit = Math.min(100, this.#o.entriesPerOrder - read);
      const page = await this.#o.store.scan(this.#o.domain, {
        keyPrefix,
        limit,
        ...(afterKey === undefined ? {} : { afterKey }),
      });
      for (const r of page.records) byKey.set(r.key, r);
      read += page.records.length;
      afterKey = page.nextKey;
    } while (afterKey !== undefined && read < this.#o.entriesPerOrder);
    return [...readLedger(this.#o.service, [...byKey.values()]).effects];
  }

  #remember(effect: string): void {
    this.#reported.add(effect);
    if (this.#reported.size <= this.#o.remember) return;
    const oldest = this.#reported.values().next().value;
    if (oldest !== undefined) this.#reported.delete(oldest);
  }
}

function orderOf(row: LedgerRecord): string | undefined {
  const value = row.value as { orderId?: unknown } | null | undefined;
  const orderId = typeof value === 'object' && value !== null ? value.orderId : undefined;
  return typeof orderId === 'string' && orderId.length > 0 ? orderId : undefined;
}
