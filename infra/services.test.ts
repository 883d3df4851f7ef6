/**
 * Hunts service specs the supervisor or the services would trip over: two replicas that look
 * alike to the ownership check, ports that collide, a second stack's services on the default
 * ports, a Node that is not the repository's, endpoints not handed to the services.
 */
import { describe, expect, it } from 'vitest';
import { NODE, reviveServices, serviceSpecs } from './services.ts';

const stack = {
  postgres: [1, 2, 3].map((i) => ({
    name: `pg-${i}`,
    url: `postgres://postgres@127.0.0.1:5433${i}/postgres`,
    port: 54330 + i,
  })),
  nats: ['nats://127.0.0.1:44221', 'nats://127.0.0.1:44222', 'nats://127.0.0.1:44223'],
  root: '/tmp/x',
};

describe('serviceSpecs', () => {
  it('runs payment, inventory and N order replicas on their own ports with their own markers', () => {
    const specs = serviceSpecs(stack, { orderReplicas: 3 });
    expect(specs.map((s) => [s.name, s.ports?.http])).toEqual([
      ['payment-1', 3100],
      ['inventory-1', 3200],
      ['order-1', 3000],
      ['order-2', 3001],
      ['order-3', 3002],
    ]);
    const markers = specs.map((s) => s.match?.[0]);
    expect(new Set(markers).size).toBe(specs.length);
    for (const spec of specs) {
      expect(spec.command).toBe(NODE);
      expect(spec.args?.at(-1)).toBe(spec.match?.[0]);
      expect(spec.args?.slice(0, 2)).toEqual(['--import', 'tsx']);
      expect(spec.readiness).toEqual({
        kind: 'http',
        url: `http://127.0.0.1:${spec.ports?.http}/health/ready`,
      });
      expect(spec.env?.SEAMLINE_REPLICA_ID).toBe(spec.name);
      expect(spec.env?.SEAMLINE_HTTP_PORT).toBe(String(spec.ports?.http));
    }
  });

  it('hands every service the stack endpoints', () => {
    const [payment] = serviceSpecs(stack);
    expect(payment?.env?.SEAMLINE_PG_URLS).toBe(
      'pg-1=postgres://postgres@127.0.0.1:54331/postgres,pg-2=postgres://postgres@127.0.0.1:54332/postgres,pg-3=postgres://postgres@127.0.0.1:54333/postgres',
    );
    expect(payment?.env?.SEAMLINE_NATS_URLS).toBe(stack.nats.join(','));
    const single = serviceSpecs({ ...stack, nats: [stack.nats[0]!] });
    expect(single.every((s) => s.env?.SEAMLINE_BUS_REPLICAS === '1')).toBe(true);
  });

  it('shifts every port with the stack offset and refuses a silly replica count', () => {
    const ports = serviceSpecs(stack, { portOffset: 1000 }).map((s) => s.ports?.http);
    expect(ports).toEqual([4100, 4200, 4000, 4001]);
    expect(() => serviceSpecs(stack, { orderReplicas: 0 })).toThrow(/orderReplicas/);
  });
});

describe('reviveServices', () => {
  it('hole 9: restarts services that died together side by side, not one behind the other', async () => {
    const live = new Map([
      ['payment-1', 'dead'],
      ['inventory-1', 'dead'],
      ['order-1', 'running'],
    ]);
    const started: string[] = [];
    const release = new Map<string, () => void>();
    const outcomes: string[] = [];
    const stop = reviveServices(
      ['payment-1', 'inventory-1', 'order-1'],
      {
        status: () => ({ processes: [...live].map(([name, state]) => ({ name, live: state })) }),
        restart: (name) => {
          started.push(name);
          return new Promise((resolve) =>
            release.set(name, () => {
              live.set(name, 'running');
              resolve({ pid: started.length });
            }),
          );
        },
        onRevive: (name, outcome) => outcomes.push(`${name}: ${outcome}`),
      },
      5,
    );
    // Neither restart has finished (each waits for its readiness), yet both are under way.
    await waitUntil(() => started.length === 2);
    expect(started.sort()).toEqual(['inventory-1', 'payment-1']);
    release.get('payment-1')!();
    release.get('inventory-1')!();
    await waitUntil(() => outcomes.filter((o) => o.includes('restarted')).length === 2);
    await stop();
    expect(started).toHaveLength(2);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}
