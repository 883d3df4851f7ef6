/**
 * Loads the demo fixture through the services' own `POST /admin/seed` endpoints, so accounts and
 * stock are written by each domain's fenced writer like every other change. Seeding is
 * idempotent on the service side: existing accounts and skus keep their balances and counts.
 */

export interface SeedSizes {
  /** Accounts `cust-1..cust-N`. @default 1000 */
  customers: number;
  /** Opening balance of each account, in cents. @default 1_000_000 */
  balanceCents: number;
  /** Skus `sku-1..sku-N`. @default 1000 */
  skus: number;
  /** Units of each sku. @default 1_000_000 */
  stock: number;
  /** Also `cust-broke` with a zero balance (its charges decline). @default true */
  brokeCustomer: boolean;
  /** Also `sku-rare` with a single unit (a second order of it is out of stock). @default true */
  rareSku: boolean;
}

export const DEFAULT_SEED: Readonly<SeedSizes> = Object.freeze({
  customers: 1000,
  balanceCents: 1_000_000,
  skus: 1000,
  stock: 1_000_000,
  brokeCustomer: true,
  rareSku: true,
});

export interface SeedResult {
  payment: { created: number; existing: number };
  inventory: { created: number; existing: number };
}

/** Seeding errors name the service, the status and the problem detail it answered. */
export class SeedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SeedError';
  }
}

/** Answers that mean "not now" (a writer still taking over, a replica slow to answer). */
const PASSING_STATUS = new Set([429, 502, 503, 504]);

async function post(service: string, url: string, body: object, timeoutMs: number) {
  // Seeding is idempotent, so a passing refusal is simply asked again, within the same budget.
  const giveUpAt = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(`${url}/admin/seed`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(Math.max(1, giveUpAt - Date.now())),
      });
    } catch (error) {
      throw new SeedError(
        `${service} at ${url} did not answer POST /admin/seed: ${String(error)}`,
        {
          cause: error,
        },
      );
    }
    const text = await response.text();
    if (response.ok) return JSON.parse(text) as { created: number; existing: number };
    const waitMs = Math.min(5_000, 250 * 2 ** (attempt - 1));
    if (!PASSING_STATUS.has(response.status) || Date.now() + waitMs >= giveUpAt) {
      throw new SeedError(`${service} answered ${response.status} to POST /admin/seed: ${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
}

export async function seedServices(
  urls: { payment: string; inventory: string },
  sizes: Partial<SeedSizes> = {},
  timeoutMs = 300_000,
): Promise<SeedResult> {
  const s = { ...DEFAULT_SEED, ...sizes };
  const [payment, inventory] = await Promise.all([
    post(
      'payment',
      urls.payment,
      { customers: s.customers, balanceCents: s.balanceCents, brokeCustomer: s.brokeCustomer },
      timeoutMs,
    ),
    post(
      'inventory',
      urls.inventory,
      { skus: s.skus, stock: s.stock, rareSku: s.rareSku },
      timeoutMs,
    ),
  ]);
  return { payment, inventory };
}
