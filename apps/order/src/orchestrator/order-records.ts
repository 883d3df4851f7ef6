import type { QuorumStore, VersionedRecord } from '@seamline/quorum-store';
import { nextVersion } from '@seamline/quorum-store';
import type { Saga } from '../saga/saga-state.ts';
import { VersionCache } from './version-cache.ts';

/**
 * The order service's replicated records, all in domain `order`, all written by the fenced
 * leader only: `order:<orderId>` (the order and its saga, tagged with its status) and
 * `http-idem:<key>` (the stored response of the first POST with that Idempotency-Key).
 */
export const ORDER_DOMAIN = 'order';
export const orderKey = (orderId: string) => `order:${orderId}`;
export const httpIdemKey = (key: string) => `http-idem:${key}`;

export interface StoredResponse {
  readonly fingerprint: string;
  readonly orderId: string;
  readonly status: number;
  /** The exact response bytes: a replay must be byte-identical (jsonb would reorder keys). */
  readonly bodyText: string;
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
   * create sits whole on the replicas it reached).
   */
  async loadPlaced(
    key: string,
    orderId: string,
  ): Promise<{ response: StoredResponse | undefined; saga: Saga | undefined }> {
    const found = await this.store.readMany(ORDER_DOMAIN, [httpIdemKey(key), orderKey(orderId)]);
    for (const rec of found.values()) this.remember(rec);
    return {
      response: found.get(httpIdemKey(key))?.value as StoredResponse | undefined,
      saga: found.get(orderKey(orderId))?.value as Saga | undefined,
    };
  }

  async loadResponse(key: string): Promise<StoredResponse | undefined> {
    return (await this.store.read(ORDER_DOMAIN, httpIdemKey(key)))?.value as
      StoredResponse | undefined;
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
        this.row(httpIdemKey(key), null, response, token),
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
