/**
 * Open-loop HTTP clients for the retry storm: new orders start at a fixed rate whatever happens
 * to earlier ones (a real population of clients does not slow down because the service did),
 * and each client retries like a typical one: on 409, 429, 5xx and timeouts, with the same
 * Idempotency-Key, honouring Retry-After, otherwise full-jitter backoff, a few times at most.
 * Every start and every HTTP attempt is timestamped, so the scenario can plot them per second.
 */
import type { Random } from './seeded-random.ts';
import { seededRandom } from './seeded-random.ts';

export interface StormClientsOptions {
  readonly targets: readonly string[];
  readonly ratePerSec: number;
  /** Draws customers, skus and jitter. */
  readonly seed: number;
  /** Unique per run: Idempotency-Key = `<keyPrefix>-<n>`. */
  readonly keyPrefix: string;
  readonly fixture: { customers: number; skus: number };
  /** One HTTP attempt. @default 2_000 */
  readonly timeoutMs?: number;
  /** HTTP attempts per order, first included. @default 4 */
  readonly maxAttempts?: number;
  /** Backoff ceiling of the first retry, doubling, capped at 2 s. @default 200 */
  readonly backoffBaseMs?: number;
  /** Never more orders in flight than this (memory guard; the rate is kept below it). @default 2_000 */
  readonly maxInFlight?: number;
}

export interface ClientEvent {
  readonly at: number;
  /** 0 = a new order (offered), n >= 1 = HTTP attempt n of an order. */
  readonly attempt: number;
  /** HTTP status, or 'timeout' / 'error'; undefined for an offered event. */
  readonly outcome?: number | string;
  /** The order's Idempotency-Key (HTTP attempts only). */
  readonly key?: string;
}

const RETRY = new Set([409, 429, 500, 502, 503, 504]);

export class StormClients {
  readonly events: ClientEvent[] = [];
  /** Idempotency keys answered 202, with their order ids (derived by the service). */
  readonly accepted: string[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private n = 0;
  private started = 0;

  constructor(private readonly o: StormClientsOptions) {}

  start(): void {
    if (this.timer !== undefined) return;
    this.started = Date.now();
    // Catch up on the clock, not on ticks: a late timer still starts every due order.
    this.timer = setInterval(() => {
      const due = Math.floor(((Date.now() - this.started) * this.o.ratePerSec) / 1000);
      while (this.n < due && this.inFlight.size < (this.o.maxInFlight ?? 2_000)) {
        this.n += 1;
        const job = this.order(this.n).finally(() => this.inFlight.delete(job));
        this.inFlight.add(job);
      }
    }, 10);
  }

  /** Stops starting orders and waits for every order in flight to get its last answer. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.inFlight]);
  }

  private async order(n: number): Promise<void> {
    const random: Random = seededRandom((this.o.seed + n * 0x9e3779b1) >>> 0 || 1);
    const key = `${this.o.keyPrefix}-${n}`;
    const body = JSON.stringify({
      customerId: `cust-${random.int(1, this.o.fixture.customers)}`,
      items: [{ sku: `sku-${random.int(1, this.o.fixture.skus)}`, qty: 1, unitPriceCents: 500 }],
      currency: 'USD',
    });
    this.events.push({ at: Date.now(), attempt: 0 });
    const max = this.o.maxAttempts ?? 4;
    for (let attempt = 1; attempt <= max; attempt++) {
      const target = this.o.targets[(n + attempt) % this.o.targets.length]!;
      let outcome: number | string;
      let retryAfterMs = 0;
      try {
        const res = await fetch(`${target}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': key },
          body,
          signal: AbortSignal.timeout(this.o.timeoutMs ?? 2_000),
        });
        await res.arrayBuffer();
        outcome = res.status;
        retryAfterMs = 1000 * Number(res.headers.get('retry-after') ?? 0) || 0;
      } catch (err) {
        outcome = (err as Error).name === 'TimeoutError' ? 'timeout' : 'error';
      }
      this.events.push({ at: Date.now(), attempt, outcome, key });
      if (outcome === 202) {
        this.accepted.push(key);
        return;
      }
      if (typeof outcome === 'number' && !RETRY.has(outcome)) return;
      const ceiling = Math.min(2_000, (this.o.backoffBaseMs ?? 200) * 2 ** (attempt - 1));
      const jitter = Math.floor(random.next() * ceiling);
      await new Promise((r) => setTimeout(r, Math.max(retryAfterMs, jitter)));
    }
  }
}
