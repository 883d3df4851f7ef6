/**
 * The pipeline as real processes under the supervisor (so they can be SIGKILLed and restarted),
 * isolated from the demo's data by per-service databases, a bus prefix and election bucket of
 * their own, on ports of their own. Used by the crash tests.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { auditStack } from '@seamline/audit';
import type { AuditReport } from '@seamline/audit';
import { inject } from 'vitest';
import { dropNamespace } from './namespace-cleanup.ts';
import { serviceSpecs, serviceUrl, startServices, stopServices } from '../infra/services.ts';
import { stackOptionsFromEnv } from '../infra/stack/env-options.ts';
import { waitFor } from '../infra/stack/index.ts';
import type { ServiceSpec } from '../infra/stack/index.ts';

export class ProcessPipeline {
  readonly suffix = randomBytes(3).toString('hex');
  readonly databases = {
    order: `pp_order_${this.suffix}`,
    payment: `pp_pay_${this.suffix}`,
    inventory: `pp_inv_${this.suffix}`,
  };
  readonly specs: ServiceSpec[];
  private readonly stack = inject('stack');
  private readonly prefix = `p${this.suffix}`;

  /** The stack the services run in: the one the tests signal (SEAMLINE_STACK_ROOT/_OFFSET). */
  private readonly stackOptions = stackOptionsFromEnv();

  constructor(orderReplicas = 2, basePort = 3950) {
    const specs = serviceSpecs(this.stack, {
      orderReplicas,
      portOffset: this.stackOptions.offset ?? 0,
      orderPort: basePort,
      paymentPort: basePort + 10,
      inventoryPort: basePort + 20,
      logLevel: 'info',
      env: {
        SEAMLINE_BUS_PREFIX: this.prefix,
        SEAMLINE_ELECTION_BUCKET: `${this.prefix}-election`,
        SEAMLINE_REDRIVE_AFTER_MS: '1000',
      },
    });
    this.specs = specs.map((s) => ({
      ...s,
      env: {
        ...s.env,
        SEAMLINE_DB: this.databases[s.name.split('-')[0] as keyof ProcessPipeline['databases']],
      },
    }));
  }

  url(name: string): string {
    return serviceUrl(this.specs.find((s) => s.name === name)!);
  }

  get orderNames(): string[] {
    return this.specs.filter((s) => s.name.startsWith('order-')).map((s) => s.name);
  }

  async start(): Promise<void> {
    await startServices(this.specs, this.stackOptions);
    await this.leader();
    for (const [svc, body] of [
      ['payment-1', { customers: 50, balanceCents: 1_000_000, brokeCustomer: true }],
      ['inventory-1', { skus: 50, stock: 1_000_000, rareSku: true }],
    ] as const) {
      const res = await fetch(`${this.url(svc)}/admin/seed`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`seed ${svc}: ${res.status} ${await res.text()}`);
    }
  }

  /** The name of the order replica that leads, once one does. */
  async leader(timeoutMs = 30_000): Promise<string> {
    return waitFor(
      async () => {
        for (const name of this.orderNames) {
          const r = await fetch(`${this.url(name)}/health/ready`)
            .then((x) => x.json() as Promise<{ leader: boolean }>)
            .catch(() => undefined);
          if (r?.leader) return name;
        }
        return undefined;
      },
      { what: 'an order leader', timeoutMs, intervalMs: 50 },
    );
  }

  async place(key: string, customer: string, sku: string, via?: string): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const base = via ?? this.url(this.orderNames[attempt % this.orderNames.length]!);
      const res = await fetch(`${base}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({
          customerId: customer,
          items: [{ sku, qty: 1, unitPriceCents: 700 }],
          currency: 'USD',
        }),
      }).catch(() => undefined);
      if (res?.status === 202) return String(((await res.json()) as { orderId: string }).orderId);
      if (attempt > 200) throw new Error(`order ${key} not accepted: ${res?.status}`);
      await delay(100); // a client's retry backoff, not synchronization
    }
  }

  async status(orderId: string): Promise<string | undefined> {
    for (const name of this.orderNames) {
      const r = await fetch(`${this.url(name)}/orders/${orderId}`).catch(() => undefined);
      if (r?.ok) return ((await r.json()) as { status: string }).status;
    }
    return undefined;
  }

  async allTerminal(orderIds: readonly string[], timeoutMs = 90_000): Promise<Map<string, string>> {
    const result = new Map<string, string>();
    await waitFor(
      async () => {
        for (const id of orderIds) {
          if (result.has(id)) continue;
          const s = await this.status(id);
          if (s === 'COMPLETED' || s === 'CANCELLED') result.set(id, s);
        }
        return result.size === orderIds.length;
      },
      { what: 'every order terminal', timeoutMs, intervalMs: 200 },
    );
    return result;
  }

  async audit(): Promise<AuditReport> {
    return auditStack({
      postgres: this.stack.postgres,
      databases: this.databases,
      expectTerminal: true,
      repair: true,
    });
  }

  async stop(): Promise<void> {
    await stopServices(
      this.specs.map((s) => s.name),
      this.stackOptions,
    );
    await dropNamespace(this.stack, Object.values(this.databases), this.prefix);
  }
}
