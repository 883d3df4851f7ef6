import type { Logger } from '@seamline/observability';
import type { PurgeReport, QuorumStore } from '@seamline/quorum-store';
import type { OrderRecords } from '../orchestrator/order-records.ts';
import { ORDER_DOMAIN } from '../orchestrator/order-records.ts';
import { planPrune } from './retention-decision.ts';

/** Options of {@link OrderRetention}. */
export interface OrderRetentionOptions {
  /** SEAMLINE_ORDER_RETENTION_MS: terminal orders older than this are pruned; 0 keeps all. */
  readonly retentionMs: number;
  /** Stored responses examined, and tombstones or batch rows purged, per pass. @default 500 */
  readonly pageSize: number;
  /** SEAMLINE_TOMBSTONE_GRACE_MS: how long a tombstone stays after it is on every replica. */
  readonly graceMs: number;
}

export interface OrderRetentionDeps {
  readonly records: OrderRecords;
  readonly store: Pick<QuorumStore, 'purge'>;
  /** The leader's fencing token; undefined when this replica does not lead (no pass runs). */
  readonly token: () => number | undefined;
  readonly clock: () => number;
  readonly log: Pick<Logger, 'info' | 'warn'>;
  /** Records retention deleted (tombstoned order, retired response) and rows purged. */
  readonly onPass?: (report: RetentionReport) => void;
}

/** What one retention pass did. */
export interface RetentionReport {
  readonly domain: string;
  /** Stored responses examined. */
  readonly scanned: number;
  /** Orders pruned (each: its record tombstoned and its response retired). */
  readonly pruned: number;
  /** Records written by the prune: two per order. */
  readonly records: number;
  readonly purge: PurgeReport | undefined;
  /** The pass examined the last page and starts from the first key again next time. */
  readonly wrapped: boolean;
}

/**
 * Order retention (ADR 0017), run by the leader on a timer, off the request path. One pass reads
 * one page of stored responses (tag `response`, after the cursor of the previous pass), prunes
 * the terminal orders that finished more than `retentionMs` ago in ONE fenced batch (order record
 * to a tombstone, response to a retired key), then purges tombstones and batch rows that every
 * replica is done with. The cursor walks the key space and starts over at the end, so every
 * response is looked at once per cycle whatever keys the clients use.
 */
export class OrderRetention {
  private cursor: string | undefined;

  constructor(
    private readonly deps: OrderRetentionDeps,
    private readonly o: OrderRetentionOptions,
  ) {}

  async pass(): Promise<RetentionReport | undefined> {
    const token = this.deps.token();
    if (token === undefined || this.o.retentionMs <= 0) return undefined;
    const page = await this.deps.records.loadResponses(this.cursor, this.o.pageSize, token);
    const plan = planPrune(page.placed, this.deps.clock(), this.o.retentionMs);
    const pruned = await this.deps.records.prune(plan, token);
    this.cursor = page.nextKey;
    const purge = await this.deps.store.purge(ORDER_DOMAIN, {
      graceMs: this.o.graceMs,
      limit: this.o.pageSize,
    });
    const report: RetentionReport = {
      domain: ORDER_DOMAIN,
      scanned: page.placed.length,
      pruned,
      records: pruned * 2,
      purge,
      wrapped: page.nextKey === undefined,
    };
    this.deps.log.info(
      {
        domain: ORDER_DOMAIN,
        token,
        scanned: report.scanned,
        pruned,
        tombstonesPurged: purge.tombstones,
        batchesPurged: purge.batches,
        unreachable: purge.unreachable,
      },
      'retention pass',
    );
    this.deps.onPass?.(report);
    return report;
  }
}
