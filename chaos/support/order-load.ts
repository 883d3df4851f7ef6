/**
 * A steady stream of orders, the way a well-behaved client sends them: each order has its own
 * Idempotency-Key, goes to a randomly chosen order replica (followers forward to the leader), and
 * is retried with the same key on 409, 429, 5xx and network errors until it is accepted (202),
 * refused for good (another 4xx) or its retry window ends. What it was told is kept per key, so
 * a scenario can check that every order accepted with 202 reached a terminal state.
 */
import { createHash } from 'node:crypto';
import type { Random } from './seeded-random.ts';
import { seededRandom } from './seeded-random.ts';

export interface OrderLoadOptions {
  /** Base URLs to send to (read on every request, so a scenario can change them). */
  readonly targets: () => readonly string[];
  /** New orders per second. */
  readonly ratePerSec: number;
  /** Order n draws its body and targets from seed + n: the same seed asks for the same orders. */
  readonly seed: number;
  /** Prefix of every Idempotency-Key, unique per run. */
  readonly keyPrefix: string;
  readonly fixture: { customers: number; skus: number };
  /** One HTTP attempt; longer than a leader pause, so a stalled request is answered, not retried. @default 15_000 */
  readonly requestTimeoutMs?: number;
  /** Give up on an order this long after its first attempt. @default 60_000 */
  readonly retryForMs?: number;
  /** Share of orders from `cust-broke` (payment declines, stock is released). @default 0.1 */
  readonly declineShare?: number;
  /** Orders in flight at most; the rate is not kept beyond it. @default 200 */
  readonly maxInFlight?: number;
}

export type OrderFate = 'pending' | 'accepted' | 'refused' | 'abandoned';

export interface OrderAttemptLog {
  readonly key: string;
  readonly orderId: string;
  fate: OrderFate;
  attempts: number;
  lastStatus: number | string;
}

/** The order id the service derives from an Idempotency-Key (apps/order order-service.ts). */
export function orderIdForKey(key: string): string {
  return `ord-${createHash('sha256').update(key).digest('hex').slice(0, 24)}`;
}

const RETRY_STATUSES = new Set([409, 429, 500, 502, 503, 504]);

export class OrderLoad {
  private readonly log = new Map<string, OrderAttemptLog>();
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private sent = 0;

  constructor(private readonly o: OrderLoadOptions) {}

  start(): void {
    if (this.timer !== undefined) return;
    const every = Math.max(5, Math.round(1000 / this.o.ratePerSec));
    this.timer = setInterval(() => {
      if (this.inFlight.size >= (this.o.maxInFlight ?? 200)) return;
      const job = this.placeOne().finally(() => this.inFlight.delete(job));
      this.inFlight.add(job);
    }, every);
  }

  /** Stops sending new orders and waits until every order in flight has its fate. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.inFlight]);
  }

  orders(): OrderAttemptLog[] {
    return [...this.log.values()];
  }

  acceptedIds(): string[] {
    return this.orders()
      .filter((o) => o.fate === 'accepted')
      .map((o) => o.orderId);
  }

  summary(): Record<OrderFate, number> & { attempts: number } {
    const out = { pending: 0, accepted: 0, refused: 0, abandoned: 0, attempts: 0 };
    for (const o of this.log.values()) {
      out[o.fate] += 1;
      out.attempts += o.attempts;
    }
    return out;
  }

  private body(r: Random): unknown {
    const broke = r.chance(this.o.declineShare ?? 0.1);
    const lines = r.int(1, 2);
    const skus = new Set<string>();
    while (skus.size < lines) skus.add(`sku-${r.int(1, this.o.fixture.skus)}`);
    return {
      customerId: broke ? 'cust-broke' : `cust-${r.int(1, this.o.fixture.customers)}`,
      items: [...skus].map((sku) => ({ sku, qty: r.int(1, 3), unitPriceCents: r.int(1, 40) * 50 })),
      currency: 'USD',
    };
  }

  private async placeOne(): Promise<void> {
    this.sent += 1;
    const key = `${this.o.keyPrefix}-${this.sent}`;
    const random = seededRandom((this.o.seed + this.sent * 0x9e3779b1) >>> 0 || 1);
    const body = JSON.stringify(this.body(random));
    const entry: OrderAttemptLog = {
      key,
      orderId: orderIdForKey(key),
      fate: 'pending',
      attempts: 0,
      lastStatus: 'unsent',
    };
    this.log.set(key, entry);
    const giveUpAt = Date.now() + (this.o.retryForMs ?? 60_000);
    let backoffMs = 100;
    while (entry.fate === 'pending') {
      const target = random.pick(this.o.targets());
      entry.attempts += 1;
      try {
        const res = await fetch(`${target}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': key },
          body,
          signal: AbortSignal.timeout(this.o.requestTimeoutMs ?? 15_000),
        });
        await res.arrayBuffer();
        entry.lastStatus = res.status;
        if (res.status === 202) entry.fate = 'accepted';
        else if (!RETRY_STATUSES.has(res.status)) entry.fate = 'refused';
      } catch (err) {
        entry.lastStatus = (err as Error).name;
      }
      if (entry.fate !== 'pending') return;
      if (Date.now() + backoffMs > giveUpAt) {
        entry.fate = 'abandoned';
        return;
      }
      await new Promise((r) => setTimeout(r, backoffMs * (0.5 + Math.random() / 2)));
      backoffMs = Math.min(backoffMs * 2, 2_000);
    }
  }
}
