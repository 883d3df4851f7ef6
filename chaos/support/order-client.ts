/**
 * One order at a time, as a patient client: POST with an Idempotency-Key (retried with the same
 * key while the service says "not now": 409, 429, 503, or no answer), then wait for the order to
 * reach a terminal state with the service's own long poll (`GET /orders/:id?waitMs=`).
 */
import { WaitTimeoutError } from '../../infra/stack/index.ts';

export interface OrderBody {
  readonly customerId: string;
  readonly items: readonly { sku: string; qty: number; unitPriceCents: number }[];
  readonly currency: 'USD';
}

export interface OrderView {
  readonly orderId: string;
  readonly status: string;
  readonly reason?: string;
  readonly totalCents: number;
  readonly steps?: readonly { at: string; event: string; detail?: string }[];
}

const NOT_NOW = new Set([409, 429, 500, 502, 503, 504]);

export async function placeOrder(
  urls: readonly string[],
  key: string,
  body: OrderBody,
  headers: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<{ status: number; body: OrderView }> {
  const until = Date.now() + timeoutMs;
  let last = 'no attempt';
  for (let attempt = 0; Date.now() < until; attempt++) {
    const url = urls[attempt % urls.length]!;
    try {
      const res = await fetch(`${url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key, ...headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await res.text();
      if (!NOT_NOW.has(res.status))
        return { status: res.status, body: JSON.parse(text) as OrderView };
      last = `${res.status} ${text.slice(0, 200)}`;
      const retryAfter = Number(res.headers.get('retry-after') ?? '0');
      await new Promise((r) => setTimeout(r, Math.max(50, Math.min(retryAfter * 1000, 1000))));
    } catch (err) {
      last = String(err);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new WaitTimeoutError(`POST /orders (${key}) to be accepted`, timeoutMs, last);
}

/** Long-polls until the order is COMPLETED or CANCELLED; throws after `timeoutMs`. */
export async function awaitTerminal(
  urls: readonly string[],
  orderId: string,
  timeoutMs = 60_000,
): Promise<OrderView> {
  const until = Date.now() + timeoutMs;
  let last: OrderView | string = 'no answer';
  for (let attempt = 0; Date.now() < until; attempt++) {
    const url = urls[attempt % urls.length]!;
    const waitMs = Math.max(0, Math.min(20_000, until - Date.now()));
    try {
      const res = await fetch(`${url}/orders/${orderId}?waitMs=${waitMs}`, {
        signal: AbortSignal.timeout(waitMs + 5_000),
      });
      if (res.ok) {
        last = (await res.json()) as OrderView;
        if (last.status === 'COMPLETED' || last.status === 'CANCELLED') return last;
      } else {
        last = `${res.status}`;
        await new Promise((r) => setTimeout(r, 100));
      }
    } catch (err) {
      last = String(err);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new WaitTimeoutError(
    `order ${orderId} to finish`,
    timeoutMs,
    typeof last === 'string' ? last : `status ${last.status}`,
  );
}
