/**
 * Seamline as the peer benchmark drives it: the local stack and services brought up the way
 * `npm run demo` and `npm run bench:saga` do (bringUp, the demo seed), orders placed through the
 * HTTP API with the demo's client, and CPU read for every process of the topology: the order
 * replicas, payment, inventory, the 3 PostgreSQL instances (with their backends) and the 3 NATS
 * nodes.
 */
import { auditStack } from '@seamline/audit';
import type { AuditReport } from '@seamline/audit';
import { awaitOrderLeader, bringUp } from '../../infra/demo/local-run.ts';
import type { LocalRun } from '../../infra/demo/local-run.ts';
import { OrderClient } from '../../infra/demo/order-client.ts';
import { seedServices } from '../../infra/demo/seed-client.ts';
import { serviceUrl } from '../../infra/services.ts';
import { members } from '../../infra/stack/process-group.ts';
import { readStatus } from '../../infra/stack/index.ts';
import type { StackOptions } from '../../infra/stack/index.ts';
import type { PeerOrder } from './closed-loop.ts';
import type { CpuSource } from './proc-cpu.ts';

export interface SeamlineUnderTest {
  label: string;
  place(key: string, order: PeerOrder): Promise<string>;
  cpuSources: CpuSource[];
  /** The service processes (order replicas, payment, inventory) and their HTTP APIs. */
  services: { name: string; url: string }[];
  /** Services that were running already, left alone (they did not get `env`). */
  foreignServices: string[];
  /** The name of the order replica that leads now. */
  orderLeader(timeoutMs?: number): Promise<string>;
  /** Invariants 1 and 2 over every order in the databases (anti-entropy first). */
  audit(): Promise<AuditReport>;
  stop(): Promise<void>;
}

export async function startSeamline(options: {
  stack: StackOptions;
  orderReplicas: number;
  log: (line: string) => void;
  /** Shown by `npm run stack -- status` as the holder. @default 'bench:peer' */
  purpose?: string;
  /** Added to every service's environment (e.g. NODE_OPTIONS). @default {} */
  env?: Record<string, string>;
}): Promise<SeamlineUnderTest> {
  const run: LocalRun = await bringUp({
    purpose: options.purpose ?? 'bench:peer',
    layout: { orderReplicas: options.orderReplicas, logLevel: 'warn', env: options.env ?? {} },
    stack: options.stack,
    log: options.log,
  });
  try {
    const seeded = await seedServices({ payment: run.paymentUrl, inventory: run.inventoryUrl });
    options.log(
      `seeded ${seeded.payment.created} accounts, ${seeded.inventory.created} skus ` +
        `(${seeded.payment.existing} and ${seeded.inventory.existing} existed)`,
    );
    // The leader first: a follower would forward each request to it, one more hop per call.
    const leader = await awaitOrderLeader(run.orderUrls, 60_000);
    const client = new OrderClient({
      urls: [leader, ...run.orderUrls.filter((url) => url !== leader)],
      deadlineMs: 120_000,
    });
    const serviceNames = run.specs.map((spec) => spec.name);
    const services = run.specs.map((spec) => ({ name: spec.name, url: serviceUrl(spec) }));
    const infra = readStatus(options.stack)
      .processes.filter((p) => p.kind !== 'service')
      .map((p) => p.name);
    const names = [
      ...serviceNames.filter((n) => n.startsWith('order-')),
      ...serviceNames.filter((n) => !n.startsWith('order-')),
      ...infra,
    ];
    return {
      label: 'Seamline',
      async place(key: string, order: PeerOrder) {
        const { view } = await client.place(key, {
          customerId: order.customerId,
          items: [{ sku: order.sku, qty: order.qty, unitPriceCents: order.unitPriceCents }],
          currency: 'USD',
        });
        const done = await client.awaitTerminal(view.orderId);
        return done.status === 'CANCELLED' ? `CANCELLED/${done.reason ?? '?'}` : done.status;
      },
      cpuSources: names.map((name) => ({
        name,
        // Read afresh each time: a service the supervisor restarted has a new pid.
        pids: () => {
          const record = readStatus(options.stack).processes.find((p) => p.name === name);
          return record ? members(record).map((stat) => stat.pid) : [];
        },
      })),
      services,
      foreignServices: serviceNames.filter((name) => !run.startedServices.includes(name)),
      async orderLeader(timeoutMs = 30_000) {
        const url = await awaitOrderLeader(run.orderUrls, timeoutMs);
        return services.find((service) => service.url === url)?.name ?? url;
      },
      audit: () =>
        auditStack({ postgres: run.endpoints.postgres, expectTerminal: true, repair: true }),
      stop: () => run.teardown(),
    };
  } catch (error) {
    await run.teardown();
    throw error;
  }
}
