import type { QuorumStore, Version, VersionedRecord } from '@seamline/quorum-store';
import { compareVersions, nextVersion } from '@seamline/quorum-store';
import type { Saga } from '../saga/saga-state.ts';
import { VersionCache } from './version-cache.ts';

/**
 * The order service's replicated records, all in domain `order`, all written by the fenced
 * leader only: `order:<orderId>` (the order and its saga, tagged with its status) and
 * `http-idem:<key>` (the stored response of the first POST with that Idempotency-Key, tagged
 * `response`; once retention pruned its order, a {@link RetiredKey} tagged `retired`).
 * Retention deletes `order:<orderId>` with a tombstone (ADR 0017).
 */
export const ORDER_DOMAIN = 'order';
export const orderKey = (orderId: string) => `order:${orderId}`;
export const httpIdemKey = (key: string) => `http-idem:${key}`;
/** Tag of an `http-idem:` record holding a response retention may prune. */
export const RESPONSE_TAG = 'response';
/** Tag of an `http-idem:` record whose response was pruned. */
export const RETIRED_TAG = 'retired';

/** An order retention deleted, as the key that created it remembers it. */
export interface PrunedOrder {
  readonly orderId: string;
  readonly status: 'COMPLETED' | 'CANCELLED';
  readonly reason: string | null;
}

export interface StoredResponse {
  readonly fingerprint: string;
  readonly orderId: string;
  readonly status: number;
  /** The exact response bytes: a replay must be byte-identical (jsonb would reorder keys). */
  readonly bodyText: string;
  /**
   * Orders this key created before and retention pruned, oldest first; their count is the
   * key's generation, which its next order id is derived from (orderIdFor). @default []
   */
  readonly pruned?: readonly PrunedOrder[];
}

/**
 * What is left of an Idempotency-Key once retention pruned its order and response: the orders it
 * created. Small and kept: an order id is never used twice (payment and inventory key their
 * books by it, for ever), and the auditor knows these orders' effects are not orphans.
 */
export interface RetiredKey {
  readonly retired: true;
  readonly pruned: readonly PrunedOrder[];
}

/** What `http-idem:<key>` holds. */
export type KeyRecord = StoredResponse | RetiredKey;

export function isRetired(rec: KeyRecord | undefined): rec is RetiredKey {
  return rec !== undefined && (rec as RetiredKey).retired === true;
}

/** The orders a key already created and lost to retention. */
export function prunedOf(rec: KeyRecord | undefined): readonly PrunedOrder[] {
  return rec?.pruned ?? [];
}

/**
 * Versions are never reused for different content: after an indeterminate write the next
 * attempt gets a higher version, so whichever attempt a replica holds, the newest one wins.
 * The last versions are kept in a bounded cache; a saga whose version was forgotten is read
 * again (through the leader's fence) before it is saved.
 */
export class OrderRecords {
  private readonly lastVersion: VersionCache;

  /** @param versionCacheSize record versions kept in memory at most. @default 10000 */
  constructor(
    private readonly store: QuorumStore,
    versionCacheSize = 10_000,
  ) {
    this.lastVersion = new VersionCache(versionCacheSize);
  }

  /** Record versions held in memory (bounded by the cache size). */
  get cachedVersions(): number {
    return this.lastVersion.size;
  }

  /** `fence`: the leader's token, so that the read sees its predecessor's last writes (ADR 0010). */
  async loadSaga(orderId: string, fence?: number): Promise<Saga | undefined> {
    const rec = await this.store.read(
      ORDER_DOMAIN,
      orderKey(orderId),
      fence === undefined ? {} : { fence },
    );
    if (rec === undefined) return undefined;
    this.remember(rec);
    return rec.value as Saga;
  }

  /**
   * The response row of an Idempotency-Key and the order it created, in ONE quorum read: both
   * rows are written in one batch, so one set of responders sees both or neither (a partial
   * create sits whole on the replicas it reached). The order id depends on how many orders of the
   * key retention pruned (`orderIdOf(generation)`): when the row says a later generation than
   * guessed, the pair is read again for that one.
   */
  async loadPlaced(
    key: string,
    orderIdOf: (generation: number) => string,
  ): Promise<{
    orderId: string;
    response: StoredResponse | undefined;
    saga: Saga | undefined;
    pruned: readonly PrunedOrder[];
  }> {
    let generation = 0;
    for (;;) {
      const orderId = orderIdOf(generation);
      const found = await this.store.readMany(ORDER_DOMAIN, [httpIdemKey(key), orderKey(orderId)]);
      for (const rec of found.values()) this.remember(rec);
      const held = found.get(httpIdemKey(key))?.value as KeyRecord | undefined;
      const pruned = prunedOf(held);
      if (pruned.length !== generation) {
        generation = pruned.length;
        continue;
      }
      return {
        orderId,
        response: isRetired(held) ? undefined : held,
        saga: found.get(orderKey(orderId))?.value as Saga | undefined,
        pruned,
      };
    }
  }

  async loadResponse(key: string): Promise<StoredResponse | undefined> {
    const held = (await this.store.read(ORDER_DOMAIN, httpIdemKey(key)))?.value as
      KeyRecord | undefined;
    return isRetired(held) ? undefined : held;
  }

  /**
   * Stored responses retention may prune, in key order after `afterKey`, read through the
   * leader's fence, with the orders they created (one more quorum read).
   */
  async loadResponses(
    afterKey: string | undefined,
    limit: number,
    fence: number,
  ): Promise<{
    placed: {
      key: string;
      response: StoredResponse;
      version: Version;
      saga: Saga | undefined;
    }[];
    nextKey: string | undefined;
  }> {
    const page = await this.store.scan(ORDER_DOMAIN, {
      keyPrefix: 'http-idem:',
      tag: RESPONSE_TAG,
      limit,
      fence,
      ...(afterKey === undefined ? {} : { afterKey }),
    });
    const responses = page.records.flatMap((rec) => {
      const held = rec.value as KeyRecord;
      if (isRetired(held)) return [];
      this.remember(rec);
      return [{ key: rec.key.slice('http-idem:'.length), response: held, version: rec.version }];
    });
    const orders = await this.store.readMany(
      ORDER_DOMAIN,
      responses.map((r) => orderKey(r.response.orderId)),
      { fence },
    );
    for (const rec of orders.values()) this.remember(rec);
    return {
      placed: responses.map((r) => ({
        ...r,
        saga: orders.get(orderKey(r.response.orderId))?.value as Saga | undefined,
      })),
      nextKey: page.nextKey,
    };
  }

  /**
   * Deletes terminal orders for retention in ONE batch, under the leader's token: each order's
   * record becomes a tombstone and its key's response is replaced by the {@link RetiredKey}.
   * Versions come from the reads of {@link loadResponses} (remembered), so each row moves on.
   * An entry whose response this leader wrote again since it was read (`version`: the one read;
   * the key was reused meanwhile) is left alone. Returns the entries written.
   */
  async prune(
    entries: readonly { key: string; orderId: string; version: Version; retired: RetiredKey }[],
    token: number,
  ): Promise<number> {
    const still = entries.filter((e) => {
      const known = this.lastVersion.get(httpIdemKey(e.key));
      return known !== undefined && compareVersions(known, e.version) === 0;
    });
    if (still.length === 0) return 0;
    const rows = still.flatMap((e) => [
      { ...this.row(orderKey(e.orderId), null, null, token), deleted: true },
      this.row(httpIdemKey(e.key), RETIRED_TAG, e.retired, token),
    ]);
    await this.store.write(ORDER_DOMAIN, rows, { token });
    return still.length;
  }

  /**
   * Every saga that is not terminal, for a new leader to drive on. `fence`: the leader's token;
   * the read then asks only replicas holding it, so it cannot miss a write of the predecessor
   * that still collects W acks (ADR 0010).
   */
  async loadOpen(fence?: number): Promise<Saga[]> {
    const out: Saga[] = [];
    for (const tag of ['PENDING', 'COMPENSATING']) {
      let afterKey: string | undefined;
      do {
        const page = await this.store.scan(ORDER_DOMAIN, {
          tag,
          keyPrefix: 'order:',
          limit: 500,
          ...(afterKey ? { afterKey } : {}),
          ...(fence === undefined ? {} : { fence }),
        });
        for (const rec of page.records) {
          this.remember(rec);
          out.push(rec.value as Saga);
        }
        afterKey = page.nextKey;
      } while (afterKey !== undefined);
    }
    return out;
  }

  async list(status: string | undefined, limit: number, afterKey: string | undefined) {
    const page = await this.store.scan(ORDER_DOMAIN, {
      keyPrefix: 'order:',
      limit,
      ...(status ? { tag: status } : {}),
      ...(afterKey ? { afterKey } : {}),
    });
    return { sagas: page.records.map((r) => r.value as Saga), nextKey: page.nextKey };
  }

  /** Persists a new order together with the response its Idempotency-Key replays. */
  async create(saga: Saga, key: string, response: StoredResponse, token: number): Promise<void> {
    await this.store.write(
      ORDER_DOMAIN,
      [
        this.row(orderKey(saga.orderId), saga.status, saga, token),
        this.row(httpIdemKey(key), RESPONSE_TAG, response, token),
      ],
      { token },
    );
  }

  async save(saga: Saga, token: number): Promise<void> {
    const key = orderKey(saga.orderId);
    if (this.lastVersion.get(key) === undefined) {
      // Forgotten (the cache is bounded): a guessed version could sit below the stored one and
      // be silently ignored by every replica, so read it through the fence first.
      const current = await this.store.read(ORDER_DOMAIN, key, { fence: token });
      if (current !== undefined) this.remember(current);
    }
    await this.store.write(ORDER_DOMAIN, [this.row(key, saga.status, saga, token)], { token });
  }

  forget(orderId: string): void {
    this.lastVersion.delete(orderKey(orderId));
  }

  private row(key: string, tag: string | null, value: unknown, token: number) {
    const version = nextVersion(this.lastVersion.get(key), token);
    if (version === undefined)
      throw new Error(`record ${key} already carries a newer token than ${token}`);
    this.lastVersion.set(key, version);
    return { key, version, tag, value };
  }

  private remember(rec: VersionedRecord): void {
    this.lastVersion.remember(rec.key, rec.version);
  }
}
