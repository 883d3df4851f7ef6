/**
 * A small, well-behaved client of the order HTTP API for the demo: it keeps one Idempotency-Key
 * per order across every retry (so a retry can never place a second order), honours
 * `Retry-After`, moves to another replica when one does not answer, and long-polls
 * `GET /orders/:id?waitMs=` until the saga is terminal.
 */

export interface OrderBody {
  customerId: string;
  items: { sku: string; qty: number; unitPriceCents: number }[];
  currency: 'USD';
}

export interface OrderView {
  orderId: string;
  status: 'PENDING' | 'COMPENSATING' | 'COMPLETED' | 'CANCELLED';
  reason?: string;
  totalCents: number;
}

/** The API refused the request for good (4xx other than 409/429): retrying cannot help. */
export class OrderRejectedError extends Error {
  readonly status: number;
  constructor(status: number, body: string) {
    super(`order API answered ${status}: ${body}`);
    this.name = 'OrderRejectedError';
    this.status = status;
  }
}

export interface OrderClientOptions {
  /** Base URLs of the order replicas; requests rotate over them. */
  urls: readonly string[];
  /** Give up on one order after this long. @default 120_000 */
  deadlineMs?: number;
  /** Server-side long-poll per GET. @default 10_000 */
  waitMs?: number;
}

const RETRYABLE = new Set([409, 429, 500, 502, 503, 504]);

function retryAfterMs(response: Response, attempt: number): number {
  const header = Number(response.headers.get('retry-after'));
  if (Number.isFinite(header) && header > 0) return header * 1000;
  return backoffMs(attempt);
}

/** Exponential with full jitter, capped at 2 s. */
function backoffMs(attempt: number): number {
  return Math.random() * Math.min(2_000, 50 * 2 ** attempt);
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class OrderClient {
  private next = 0;
  private readonly urls: readonly string[];
  private readonly deadlineMs: number;
  private readonly waitMs: number;

  constructor(o: OrderClientOptions) {
    if (o.urls.length === 0) throw new TypeError('OrderClient needs at least one url');
    this.urls = o.urls;
    this.deadlineMs = o.deadlineMs ?? 120_000;
    this.waitMs = o.waitMs ?? 10_000;
  }

  /**
   * POST /orders until it is accepted (202) or refused for good. `retries` lists what the
   * attempts before the accepted one got (status or error), oldest first.
   */
  async place(key: string, body: OrderBody): Promise<{ view: OrderView; retries: string[] }> {
    const retries: string[] = [];
    const view = await this.retrying<OrderView>(
      `place ${key}`,
      (url) =>
        fetch(`${url}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(15_000),
        }),
      (problem) => retries.push(problem),
    );
    return { view, retries };
  }

  /** Long-polls until the order is COMPLETED or CANCELLED. */
  async awaitTerminal(orderId: string): Promise<OrderView> {
    const until = Date.now() + this.deadlineMs;
    for (;;) {
      const view = await this.retrying<OrderView>(`get ${orderId}`, (url) =>
        fetch(`${url}/orders/${encodeURIComponent(orderId)}?waitMs=${this.waitMs}`, {
          signal: AbortSignal.timeout(this.waitMs + 10_000),
        }),
      );
      if (view.status === 'COMPLETED' || view.status === 'CANCELLED') return view;
      if (Date.now() > until) {
        throw new Error(`order ${orderId} still ${view.status} after ${this.deadlineMs} ms`);
      }
    }
  }

  /** Counts orders by listing one status (paged). */
  async countByStatus(status: OrderView['status']): Promise<number> {
    let total = 0;
    let cursor: string | null = null;
    do {
      const query: string = `status=${status}&limit=500${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await this.retrying<{ orders: unknown[]; nextCursor: string | null }>(
        `list ${status}`,
        (url) => fetch(`${url}/orders?${query}`, { signal: AbortSignal.timeout(15_000) }),
      );
      total += page.orders.length;
      cursor = page.nextCursor;
    } while (cursor);
    return total;
  }

  private async retrying<T>(
    what: string,
    call: (url: string) => Promise<Response>,
    onRetry: (problem: string) => void = () => {},
  ): Promise<T> {
    const until = Date.now() + this.deadlineMs;
    let lastProblem = '';
    for (let attempt = 0; Date.now() < until; attempt++) {
      const url = this.urls[this.next % this.urls.length]!;
      let response: Response;
      try {
        response = await call(url);
      } catch (error) {
        // No answer from this replica: the same request goes to the next one.
        lastProblem = `${url}: ${(error as Error).message}`;
        onRetry(lastProblem);
        this.next += 1;
        await pause(backoffMs(attempt));
        continue;
      }
      const text = await response.text();
      if (response.ok) return JSON.parse(text) as T;
      if (!RETRYABLE.has(response.status)) throw new OrderRejectedError(response.status, text);
      lastProblem = `${url}: ${response.status} ${text.slice(0, 200)}`;
      onRetry(`${url}: ${response.status}`);
      if (response.status >= 500) this.next += 1;
      await pause(retryAfterMs(response, attempt));
    }
    throw new Error(`${what}: gave up after ${this.deadlineMs} ms (last: ${lastProblem})`);
  }
}
