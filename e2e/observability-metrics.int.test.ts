/**
 * Every seam signal is on the /metrics of the service that owns the seam, and it moves when the
 * seam is exercised: on the real stack, through the services' own code paths.
 *
 * Hunts: a hook that is never wired (the metric exists and sits at 0 while the seam hurts), a
 * counter that counts the wrong thing (dedup hits that are not exactly the duplicates
 * delivered), a gauge never set (leader term, consumer lag, divergence), a label that drifts
 * from what alerts and dashboards select, and a dashboard or alert rule that queries a metric
 * no live process exposes (an empty panel reads as "all quiet").
 */
import { readFileSync } from 'node:fs';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { busNaming } from '@seamline/bus';
import type { Exposition } from '@seamline/observability';
import {
  METRIC_NAMES as M,
  baseMetricName,
  parseExposition,
  sumSamples,
} from '@seamline/observability';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { waitFor } from '../infra/stack/index.ts';
import { Pipeline } from './pipeline-harness.ts';

type Service = 'order' | 'payment' | 'inventory';
type Scrapes = Record<string, Exposition>;

const item = (sku: string, qty = 1) => ({ sku, qty, unitPriceCents: 500 });
const order = (customerId: string, sku: string) => ({
  customerId,
  items: [item(sku)],
  currency: 'USD',
});

async function scrape(url: string): Promise<Exposition> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  return parseExposition(await res.text());
}

/** Every process of the pipeline, by name: order-1.., payment, inventory. */
async function scrapeAll(p: Pipeline): Promise<Scrapes> {
  const out: Scrapes = {};
  for (const o of p.orders) out[replicaOf(p, o.url)] = await scrape(o.url);
  out['payment'] = await scrape(p.payment.url);
  out['inventory'] = await scrape(p.inventory.url);
  return out;
}

function replicaOf(p: Pipeline, url: string): string {
  return `order-${p.orders.findIndex((o) => o.url === url) + 1}`;
}

function value(s: Exposition, name: string, labels: Record<string, string> = {}): number {
  return sumSamples(s.samples, name, labels);
}

const moved = (
  before: Exposition,
  after: Exposition,
  name: string,
  labels: Record<string, string> = {},
) => value(after, name, labels) - value(before, name, labels);

describe('seam metrics move with their seams (every command delivered three times)', () => {
  let p: Pipeline;
  let before: Scrapes;
  let after: Scrapes;
  let okOrder: string;
  const leaderName = () => replicaOf(p, p.leader.url);

  beforeAll(async () => {
    p = await Pipeline.start({ env: { SEAMLINE_DUPLICATE_DELIVERY: '3' }, basePort: 3840 });
    await p.seed();
    before = await scrapeAll(p);
    const placed = await Promise.all([
      p.place('metrics-ok', order('cust-1', 'sku-1')),
      p.place('metrics-broke', order('cust-broke', 'sku-2')),
    ]);
    const done = await Promise.all(placed.map((r) => p.settled(String(r.json.orderId))));
    expect(done.map((o) => o.status)).toEqual(['COMPLETED', 'CANCELLED']);
    okOrder = String(placed[0].json.orderId);
    after = await scrapeAll(p);
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('counts exactly the injected duplicates as dedup hits, per service and operation', () => {
    // reserve: 2 orders; charge: 2 orders; release: the declined one. Two extra runs each.
    const hits = (svc: Service, operation: string) =>
      moved(before[svc]!, after[svc]!, M.dedupHits, { service: svc, operation });
    expect(hits('inventory', 'reserve')).toBe(2 * 2);
    expect(hits('inventory', 'release')).toBe(1 * 2);
    expect(hits('payment', 'charge')).toBe(2 * 2);
    expect(hits('payment', 'refund')).toBe(0);
    // Every run of the handler is an arrival: the first, then two as redeliveries.
    const arrivals = (svc: Service, operation: string, cause: string) =>
      moved(before[svc]!, after[svc]!, M.effectArrivals, { service: svc, operation, cause });
    for (const [svc, operation, effects] of [
      ['inventory', 'reserve', 2],
      ['inventory', 'release', 1],
      ['payment', 'charge', 2],
      ['payment', 'refund', 0],
    ] as const) {
      expect(arrivals(svc, operation, 'first'), `${svc} ${operation}`).toBe(effects);
      expect(arrivals(svc, operation, 'redelivery'), `${svc} ${operation}`).toBe(effects * 2);
      expect(arrivals(svc, operation, 'resend'), `${svc} ${operation}`).toBe(0);
    }
    for (const svc of ['payment', 'inventory'] as const) {
      expect(after[svc]!.families.has(M.duplicateEffects), svc).toBe(true);
      expect(value(after[svc]!, M.duplicateEffects)).toBe(0);
    }
  });

  it("joins one order's attempts per layer: one request, one send per step, three arrivals each", async () => {
    const get = async (url: string) => {
      const res = await fetch(url);
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };
    // The saga is over, so no replica drives it; the leader still remembers the client's request.
    expect(await get(`${p.leader.url}/admin/attempts/${okOrder}`)).toEqual({
      status: 200,
      json: { orderId: okOrder, leader: true, client: { requests: 1 }, orchestrator: null },
    });
    for (const [url, key] of [
      [p.inventory.url, `${okOrder}:reserve:reserve`],
      [p.payment.url, `${okOrder}:charge:charge`],
    ] as const) {
      expect(await get(`${url}/ops/attempts/${encodeURIComponent(key)}`)).toEqual({
        status: 200,
        json: { key, total: 3, byCause: { first: 1, resend: 0, redelivery: 2 }, maxSend: 1 },
      });
    }
  });

  it('times quorum writes and reads on every service and counts replica answers', () => {
    for (const svc of [leaderName(), 'payment', 'inventory']) {
      const count = `${M.quorumOpDuration}_count`;
      expect(moved(before[svc]!, after[svc]!, count, { op: 'write' }), svc).toBeGreaterThan(0);
      expect(moved(before[svc]!, after[svc]!, count, { op: 'read' }), svc).toBeGreaterThan(0);
      expect(
        moved(before[svc]!, after[svc]!, M.quorumAcks, { outcome: 'ack' }),
        svc,
      ).toBeGreaterThan(0);
      expect(after[svc]!.families.get(M.quorumIndeterminate), svc).toBe('counter');
    }
  });

  it('counts saga outcomes with their reason, their duration and the attempts per effect', () => {
    const l = leaderName();
    expect(moved(before[l]!, after[l]!, M.sagaOutcomes, { outcome: 'completed' })).toBe(1);
    expect(
      moved(before[l]!, after[l]!, M.sagaOutcomes, {
        outcome: 'cancelled',
        reason: 'PAYMENT_DECLINED',
      }),
    ).toBe(1);
    expect(moved(before[l]!, after[l]!, `${M.sagaDuration}_count`)).toBe(2);
    // reserve, charge (x2) and release each settled once, in one send.
    const sends = { layer: 'orchestrator' };
    expect(moved(before[l]!, after[l]!, `${M.effectAttempts}_count`, sends)).toBeGreaterThanOrEqual(
      4,
    );
    expect(moved(before[l]!, after[l]!, `${M.effectAttempts}_bucket`, { ...sends, le: '1' })).toBe(
      moved(before[l]!, after[l]!, `${M.effectAttempts}_count`, sends),
    );
    expect(value(after[l]!, M.sagasStuck)).toBe(0);
  });

  it('brings sagas in flight back to zero once every saga is terminal', async () => {
    // The gauge is refreshed on the orchestrator's tick (every 200 ms).
    await waitFor(async () => value(await scrape(p.leader.url), M.sagasInFlight) === 0, {
      what: 'seamline_sagas_in_flight 0 on the leader',
      timeoutMs: 5_000,
      intervalMs: 50,
    });
  });

  it('counts HTTP requests by route template and status', () => {
    const l = leaderName();
    expect(moved(before[l]!, after[l]!, M.httpRequests, { route: '/orders', status: '202' })).toBe(
      2,
    );
    expect(
      moved(before[l]!, after[l]!, `${M.httpRequestDuration}_count`, { route: '/orders' }),
    ).toBe(2);
    expect(after[l]!.families.get(M.httpShed)).toBe('counter');
  });

  it('shows the retry budget of each downstream once the leader ticks', async () => {
    const balance = async (downstream: string) =>
      value(await scrape(p.leader.url), M.retryBudgetBalance, { downstream });
    // Budgets are made on a downstream's first send and published on the next tick.
    await waitFor(async () => (await balance('payment')) > 0 && (await balance('inventory')) > 0, {
      what: 'a retry budget balance for payment and inventory',
      timeoutMs: 5_000,
      intervalMs: 50,
    });
    const l = leaderName();
    expect(after[l]!.families.get(M.retriesAttempted)).toBe('counter');
    expect(after[l]!.families.get(M.retriesShed)).toBe('counter');
  });

  it('reports the backlog of every durable consumer', async () => {
    const lagOf = async (url: string) =>
      (await scrape(url)).samples
        .filter((s) => s.name === M.consumerLag)
        .map((s) => s.labels['consumer']);
    // Polled every 5 s by each service.
    await waitFor(
      async () =>
        (await lagOf(p.payment.url)).length > 0 &&
        (await lagOf(p.inventory.url)).length > 0 &&
        (await lagOf(p.leader.url)).length > 0,
      {
        what: 'consumer lag on payment, inventory and the order leader',
        timeoutMs: 15_000,
        intervalMs: 250,
      },
    );
    expect(await lagOf(p.leader.url)).toEqual(['order-replies']);
    expect(await lagOf(p.payment.url)).toEqual([expect.stringContaining('payment')]);
  });

  it('counts a dead-lettered command on the service that received it', async () => {
    const b = await scrape(p.payment.url);
    const prefix = p.baseEnv()['SEAMLINE_BUS_PREFIX']!;
    const subject = busNaming({
      streamPrefix: prefix.toUpperCase(),
      subjectPrefix: prefix.toLowerCase(),
    }).commandSubject('payment', 'charge');
    const nc = await connect({ servers: inject('stack').nats });
    try {
      await jetstream(nc).publish(subject, new TextEncoder().encode('{not json'));
    } finally {
      await nc.close();
    }
    await waitFor(async () => moved(b, await scrape(p.payment.url), M.deadLetters) === 1, {
      what: 'one dead letter counted by payment',
      timeoutMs: 10_000,
      intervalMs: 100,
    });
  });

  it('counts a write with a stale fencing token as a fencing rejection', async () => {
    const leader = p.leader;
    const b = await scrape(leader.url);
    const token = value(b, M.leaderTerm);
    expect(token).toBe(leader.orchestrator.currentToken);
    await expect(
      leader.store.write(
        'order',
        [{ key: 'probe:stale-writer', version: { fence: token - 1, seq: 1 }, value: {} }],
        { token: token - 1 },
      ),
    ).rejects.toMatchObject({ name: expect.stringMatching(/Fenced/) });
    expect(moved(b, await scrape(leader.url), M.fencingRejections, { domain: 'order' })).toBe(1);
  });

  it('reports divergence found by anti-entropy, and zero once repaired', async () => {
    const replica = inject('stack').postgres[0]!;
    const url = new URL(replica.url);
    url.pathname = `/${p.databases.payment}`;
    const c = new pg.Client({ connectionString: url.toString() });
    await c.connect();
    try {
      const gone = await c.query(
        `delete from seamline_records where (domain, key) in
           (select domain, key from seamline_records where domain = 'payment' limit 2)`,
      );
      expect(gone.rowCount).toBe(2);
    } finally {
      await c.end();
    }
    const b = await scrape(p.payment.url);
    await p.payment.store.antiEntropy();
    const found = await scrape(p.payment.url);
    expect(value(found, M.replicaDivergence, { domain: 'payment' })).toBe(2);
    expect(moved(b, found, M.quorumRepairs, { domain: 'payment' })).toBe(2);
    await p.payment.store.antiEntropy();
    expect(value(await scrape(p.payment.url), M.replicaDivergence, { domain: 'payment' })).toBe(0);
  });

  it('serves only queries of the dashboard and the alert rules that live processes expose', async () => {
    const live = new Set<string>();
    for (const s of Object.values(await scrapeAll(p)))
      for (const f of s.families.keys()) live.add(f);
    const dashboard = JSON.parse(
      readFileSync('grafana/dashboards/seamline-seams.json', 'utf8'),
    ) as { panels: { title: string; targets?: { expr?: string }[]; panels?: unknown[] }[] };
    const queries = dashboard.panels.flatMap((panel) =>
      (panel.targets ?? []).map((t) => ({ where: panel.title, expr: t.expr ?? '' })),
    );
    const rules = parse(readFileSync('infra/prometheus/alerts.yml', 'utf8')) as {
      groups: { rules: { alert: string; expr: string }[] }[];
    };
    for (const r of rules.groups.flatMap((g) => g.rules))
      queries.push({ where: r.alert, expr: r.expr });
    expect(queries.length).toBeGreaterThan(20);
    const missing = queries.flatMap(({ where, expr }) =>
      [...expr.matchAll(/seamline_[a-z_]+/g)]
        .map(([name]) => baseMetricName(name))
        .filter((name) => !live.has(name))
        .map((name) => `${where}: ${name}`),
    );
    expect(missing).toEqual([]);
    expect(live.has('process_cpu_seconds_total')).toBe(true);
  });

  // Last: it takes the leader away.
  it('sets the leader gauges, and a new leader moves term and change count', async () => {
    const old = p.leader;
    const oldName = leaderName();
    const follower = p.orders.find((o) => o !== old)!;
    const followerName = replicaOf(p, follower.url);
    const f0 = await scrape(follower.url);
    expect(value(await scrape(old.url), M.isLeader)).toBe(1);
    expect(value(f0, M.isLeader)).toBe(0);
    // Every replica watches the lease: the follower knows the leader's term too.
    expect(value(f0, M.leaderTerm)).toBe(old.orchestrator.currentToken);
    expect(value(f0, M.leaderChanges)).toBeGreaterThanOrEqual(1);

    await old.close();
    await waitFor(() => follower.orchestrator.leading, {
      what: `${followerName} to take over from ${oldName}`,
      timeoutMs: 20_000,
      intervalMs: 50,
    });
    const f1 = await scrape(follower.url);
    expect(value(f1, M.isLeader)).toBe(1);
    expect(value(f1, M.leaderTerm)).toBe(follower.orchestrator.currentToken);
    expect(value(f1, M.leaderTerm)).toBeGreaterThan(value(f0, M.leaderTerm));
    expect(moved(f0, f1, M.leaderChanges)).toBeGreaterThanOrEqual(1);
  });
});

describe('seam metrics of a degraded pipeline (one Postgres replica down, a tight retry budget)', () => {
  let p: Pipeline;

  beforeAll(async () => {
    const live = inject('stack').postgres.slice(0, 2);
    p = await Pipeline.start({
      orderReplicas: 1,
      basePort: 3850,
      env: {
        // Nothing listens on port 1: the third replica refuses every connection.
        SEAMLINE_PG_URLS: [
          ...live.map((r) => `${r.name}=${r.url}`),
          'pg-down=postgres://postgres@127.0.0.1:1/postgres',
        ].join(','),
        SEAMLINE_RETRY_PERCENT: '0',
        SEAMLINE_RETRY_MIN_PER_SEC: '1',
        SEAMLINE_RETRY_TTL_MS: '1000',
      },
      // Re-drive anything unanswered after 1 ms, however fast the replies have been (a ceiling
      // of 1 ms too): every command is retried while in flight.
      order: { orchestrator: { redriveAfterMs: 1, redriveCeilingMs: 1, tickMs: 10 } },
    });
    await p.seed();
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('ejects the dead replica, counts its failed answers, attempts and sheds retries', async () => {
    const b = await scrape(p.leader.url);
    const placed = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        p.place(`degraded-${i}`, order(`cust-${i + 1}`, 'sku-1')),
      ),
    );
    const done = await Promise.all(placed.map((r) => p.settled(String(r.json.orderId))));
    expect(done.every((o) => o.status === 'COMPLETED')).toBe(true);
    const a = await scrape(p.leader.url);
    for (const svc of [a, await scrape(p.payment.url), await scrape(p.inventory.url)]) {
      expect(value(svc, M.replicaEjected, { replica: 'pg-down' })).toBe(1);
      expect(value(svc, M.replicaEjected, { replica: live(0) })).toBe(0);
    }
    const failed = ['nack', 'timeout'].reduce(
      (n, outcome) => n + value(a, M.quorumAcks, { outcome }),
      0,
    );
    expect(failed).toBeGreaterThan(0);
    expect(moved(b, a, M.retriesAttempted)).toBeGreaterThan(0);
    expect(moved(b, a, M.retriesShed)).toBeGreaterThan(0);
    // Re-sent commands: some effect took more than one send, and the receivers deduplicated.
    const sends = { layer: 'orchestrator' };
    expect(moved(b, a, `${M.effectAttempts}_count`, sends)).toBeGreaterThan(
      moved(b, a, `${M.effectAttempts}_bucket`, { ...sends, le: '1' }),
    );
    const hits = value(await scrape(p.payment.url), M.dedupHits);
    expect(hits + value(await scrape(p.inventory.url), M.dedupHits)).toBeGreaterThan(0);
  });

  function live(i: number): string {
    return inject('stack').postgres[i]!.name;
  }
});
