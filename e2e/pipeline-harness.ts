/**
 * The whole pipeline in one test process: order replicas, payment and inventory, each a real
 * NestJS app on the project's real Postgres and NATS, isolated by a fresh database set, bus
 * prefix and election bucket per harness. Seeds small fixtures and cleans everything up.
 */
import { randomBytes } from 'node:crypto';
import { auditStack } from '@seamline/audit';
import type { AuditReport } from '@seamline/audit';
import { inject } from 'vitest';
import { dropNamespace } from './namespace-cleanup.ts';
import { loadInventoryConfig } from '../apps/inventory/config.ts';
import type { InventoryApp } from '../apps/inventory/src/inventory-app.ts';
import { createInventoryApp } from '../apps/inventory/src/inventory-app.ts';
import { readOrderConfig } from '../apps/order/src/config.ts';
import type { OrderApp, OrderAppOverrides } from '../apps/order/src/create-order-app.ts';
import { createOrderApp } from '../apps/order/src/create-order-app.ts';
import { loadPaymentConfig } from '../apps/payment/config.ts';
import type { PaymentApp } from '../apps/payment/src/payment-app.ts';
import { createPaymentApp } from '../apps/payment/src/payment-app.ts';
import { waitFor } from '../infra/stack/index.ts';

export interface PipelineOptions {
  readonly orderReplicas?: number;
  /** Extra env for every service (e.g. SEAMLINE_DUPLICATE_DELIVERY). */
  readonly env?: Record<string, string>;
  readonly order?: OrderAppOverrides;
  readonly basePort?: number;
}

export class Pipeline {
  readonly orders: OrderApp[] = [];
  payment!: PaymentApp;
  inventory!: InventoryApp;
  readonly suffix = randomBytes(3).toString('hex');
  readonly databases = {
    order: `e2e_order_${this.suffix}`,
    payment: `e2e_pay_${this.suffix}`,
    inventory: `e2e_inv_${this.suffix}`,
  };
  private readonly stack = inject('stack');
  private readonly busPrefix = `e${this.suffix}`;

  constructor(private readonly options: PipelineOptions = {}) {}

  static async start(options: PipelineOptions = {}): Promise<Pipeline> {
    const p = new Pipeline(options);
    await p.boot();
    return p;
  }

  baseEnv(): Record<string, string> {
    return {
      SEAMLINE_PG_URLS: this.stack.postgres.map((x) => `${x.name}=${x.url}`).join(','),
      SEAMLINE_NATS_URLS: this.stack.nats.join(','),
      SEAMLINE_BUS_PREFIX: this.busPrefix,
      SEAMLINE_ELECTION_BUCKET: `${this.busPrefix}-election`,
      SEAMLINE_LOG_LEVEL: 'warn',
      ...this.options.env,
    };
  }

  private async boot(): Promise<void> {
    const env = this.baseEnv();
    const base = this.options.basePort ?? 3800;
    await this.startPayment();
    this.inventory = await createInventoryApp(
      loadInventoryConfig({
        ...env,
        SEAMLINE_DB: this.databases.inventory,
        SEAMLINE_HTTP_PORT: '0',
        SEAMLINE_REPLICA_ID: `inventory-${this.suffix}`,
      }),
    );
    await this.inventory.ready;
    for (let i = 0; i < (this.options.orderReplicas ?? 2); i++) {
      const config = readOrderConfig({
        ...env,
        SEAMLINE_DB: this.databases.order,
        SEAMLINE_HTTP_PORT: String(base + i),
        SEAMLINE_REPLICA_ID: `order-${i + 1}`,
      });
      this.orders.push(await createOrderApp(config, this.options.order));
    }
    await waitFor(() => this.orders.some((o) => o.orchestrator.leading), {
      what: 'an order leader',
      timeoutMs: 20_000,
      intervalMs: 20,
    });
  }

  /** Starts (or restarts, after stopPayment) the payment service with this harness's config. */
  async startPayment(): Promise<void> {
    const env = this.baseEnv();
    this.payment = await createPaymentApp(
      loadPaymentConfig({
        ...env,
        SEAMLINE_DB: this.databases.payment,
        SEAMLINE_HTTP_PORT: '0',
        SEAMLINE_REPLICA_ID: `payment-${this.suffix}`,
      }),
    );
    await this.payment.ready;
  }

  async stopPayment(): Promise<void> {
    await this.payment.close();
  }

  get leader(): OrderApp {
    const l = this.orders.find((o) => o.orchestrator.leading);
    if (l === undefined) throw new Error('no order leader');
    return l;
  }

  async seed(customers = 20, skus = 20): Promise<void> {
    await postJson(`${this.payment.url}/admin/seed`, {
      customers,
      balanceCents: 1_000_000,
      brokeCustomer: true,
    });
    await postJson(`${this.inventory.url}/admin/seed`, { skus, stock: 1_000_000, rareSku: true });
  }

  async place(
    key: string,
    body: unknown,
    via = this.leader.url,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(`${via}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key, ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  /** The order once terminal (GET ?waitMs holds the request server-side). */
  async settled(orderId: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await fetch(
        `${this.orders[0]!.url}/orders/${orderId}?waitMs=${Math.min(10_000, Math.max(0, deadline - Date.now()))}`,
      );
      const order = (await res.json()) as Record<string, unknown>;
      if (order.status === 'COMPLETED' || order.status === 'CANCELLED' || Date.now() >= deadline)
        return order;
    }
  }

  async audit(expectTerminal = true): Promise<AuditReport> {
    return auditStack({
      postgres: this.stack.postgres,
      databases: this.databases,
      expectTerminal,
      repair: true,
    });
  }

  async stop(): Promise<void> {
    for (const o of this.orders) await o.close();
    await this.payment?.close();
    await this.inventory?.close();
    await dropNamespace(this.stack, Object.values(this.databases), this.busPrefix);
  }
}

async function postJson(url: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST ${url} answered ${res.status}: ${await res.text()}`);
  return res.json();
}

/** Sum of a counter's samples matching all the given labels, from a /metrics text. */
export async function metricSum(
  url: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(\{[^}]*\})?\s+([0-9.eE+-]+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const lbl = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => lbl.includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}
