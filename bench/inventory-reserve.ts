/**
 * The inventory-shaped workload of the consistency-swap bench. A reserve reads one sku's stock
 * record (inventory's own key and schema) and writes it back decremented, with the single
 * writer's discipline (docs/adr/0006-table-writers.md): reserves of one sku run one at a time, as
 * FencedEffectWriter's key lock makes them, and a write left indeterminate is re-driven with the
 * same version before the sku's next decision (docs/adr/0001-quorum-store.md).
 *
 * A reserve whose read is refused never writes, so to measure write availability in every phase
 * rather than infer it, such a reserve is followed by a probe: the sku's last acknowledged record
 * written again, same version and value. It changes no stock anywhere (a replica holding that
 * version acks without change, a lagging one is moved up to it), exactly like a re-drive.
 *
 * Unlike the real writer it keeps no record cache: every reserve reads the store, because the
 * store's read is what the bench measures (the writer pays it on every cache miss, and for every
 * sku it touches after a takeover).
 */
import { performance } from 'node:perf_hooks';
import { KeyedMutex } from '@seamline/idempotency';
import type { RecordWrite, ReplicaConfig } from '@seamline/quorum-store';
import { IndeterminateWriteError, QuorumStore, nextVersion } from '@seamline/quorum-store';
import {
  INVENTORY_DOMAIN,
  inventoryKey,
  stockRecord,
} from '../apps/inventory/src/inventory-records.ts';
import type { PhaseTally } from './consistency-report.ts';
import type { StaleReadLedger } from './stale-reads.ts';
import { isStale } from './stale-reads.ts';
import type { ReplicaStock, StockCopy } from './stock-conservation.ts';

/** The bench is the domain's only writer, in one term. */
const TOKEN = 1;
const SEED_BATCH = 100;

interface PendingWrite {
  readonly row: RecordWrite;
  readonly units: number;
}

export class ReserveWorkload {
  private readonly mutex = new KeyedMutex();
  private readonly pending = new Map<string, PendingWrite>();
  /** Per sku, the newest record a write was acknowledged for (what a probe writes again). */
  private readonly acknowledged = new Map<string, RecordWrite>();

  constructor(
    private readonly store: QuorumStore,
    private readonly ledger: StaleReadLedger,
    readonly initialUnits: number,
  ) {}

  /** Writes every sku's stock record at its first version. */
  async seed(skus: readonly string[]): Promise<void> {
    for (let i = 0; i < skus.length; i += SEED_BATCH) {
      const batch = skus.slice(i, i + SEED_BATCH);
      const version = nextVersion(undefined, TOKEN)!;
      const rows = batch.map((sku) => ({
        key: inventoryKey.stock(sku),
        version,
        value: { sku, available: this.initialUnits, initial: this.initialUnits },
      }));
      await this.store.write(INVENTORY_DOMAIN, rows, { token: TOKEN });
      rows.forEach((row, i) => {
        this.acknowledged.set(batch[i]!, row);
        this.ledger.acknowledge(batch[i]!, version, 0);
      });
    }
  }

  /**
   * Takes `units` of `sku`, counting into `tally`. Rejects when the reserve did not complete (a
   * refused read, then probed; a refused or indeterminate write; a failed re-drive).
   */
  async reserve(sku: string, units: number, tally: PhaseTally): Promise<void> {
    const release = await this.mutex.acquire([sku]);
    try {
      const parked = this.pending.get(sku);
      if (parked !== undefined) await this.write(sku, parked, tally);
      const key = inventoryKey.stock(sku);
      const floor = this.ledger.floor(sku);
      tally.reads += 1;
      const started = performance.now();
      const record = await this.store.read(INVENTORY_DOMAIN, key).catch(async (err: unknown) => {
        tally.refusedReadLatencies.push(performance.now() - started);
        await this.probe(sku, tally);
        throw err;
      });
      tally.readLatencies.push(performance.now() - started);
      tally.readsOk += 1;
      if (isStale(floor, record?.version)) tally.staleReads += 1;
      if (record === undefined) throw new Error(`no stock record for ${sku}`);
      const stock = stockRecord.parse(record.value);
      if (stock.available < units) throw new Error(`${sku} is out of stock`);
      const row: RecordWrite = {
        key,
        version: nextVersion(record.version, TOKEN)!,
        value: { ...stock, available: stock.available - units },
      };
      await this.write(sku, { row, units }, tally);
      tally.reservesOk += 1;
    } finally {
      release();
    }
  }

  /** Units of `sku` whose last write stayed indeterminate (it may or may not have applied). */
  inDoubtUnits(sku: string): number {
    return this.pending.get(sku)?.units ?? 0;
  }

  private async write(sku: string, write: PendingWrite, tally: PhaseTally): Promise<void> {
    tally.writes += 1;
    const started = performance.now();
    try {
      await this.store.write(INVENTORY_DOMAIN, [write.row], { token: TOKEN });
    } catch (err) {
      if (err instanceof IndeterminateWriteError) {
        tally.writesIndeterminate += 1;
        this.pending.set(sku, write);
      }
      throw err;
    }
    tally.writeLatencies.push(performance.now() - started);
    tally.writesOk += 1;
    this.pending.delete(sku);
    this.acknowledged.set(sku, write.row);
    this.ledger.acknowledge(sku, write.row.version, write.units);
  }

  /** Writes `sku`'s last acknowledged record again; counts as a write, acknowledges nothing new. */
  private async probe(sku: string, tally: PhaseTally): Promise<void> {
    const row = this.acknowledged.get(sku);
    if (row === undefined) return;
    tally.writes += 1;
    const started = performance.now();
    try {
      await this.store.write(INVENTORY_DOMAIN, [row], { token: TOKEN });
    } catch {
      return;
    }
    tally.writeLatencies.push(performance.now() - started);
    tally.writesOk += 1;
  }
}

/** Reads every sku's stock record from each replica on its own, bypassing any quorum. */
export async function readStockPerReplica(
  replicas: readonly ReplicaConfig[],
  database: string,
  skus: readonly string[],
  replicaTimeoutMs: number,
): Promise<ReplicaStock[]> {
  return Promise.all(
    replicas.map(async (replica) => {
      const one = await QuorumStore.open({
        replicas: [replica],
        database,
        writeQuorum: 1,
        readQuorum: 1,
        replicaTimeoutMs,
      });
      try {
        const found = await one.readMany(INVENTORY_DOMAIN, skus.map(inventoryKey.stock));
        const stock = new Map<string, StockCopy>();
        for (const sku of skus) {
          const record = found.get(inventoryKey.stock(sku));
          if (record === undefined) continue;
          const { available } = stockRecord.parse(record.value);
          stock.set(sku, { version: record.version, available });
        }
        return { replica: replica.name, stock };
      } finally {
        await one.close();
      }
    }),
  );
}
