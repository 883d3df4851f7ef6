/**
 * Hunts: a restarted process read as a negative rate, a counter born between two scrapes
 * missed (the first dead letter would never show), a p99 computed over all time instead of
 * the window, a source that fails blanking the others, a gauge summed across replicas where
 * each replica reports the same fact (leader term), headline numbers before there is a
 * window to compute them over, and attempts per effect mixed across layers.
 */
import { createMetrics, parseExposition } from '@seamline/observability';
import { describe, expect, it } from 'vitest';
import { DashboardFeed } from './dashboard-feed.ts';
import type { MetricsSource } from './dashboard-feed.ts';
import type { Scrape } from './scrape-math.ts';
import { increase, quantileBetween } from './scrape-math.ts';

function scrapeOf(at: number, sources: Record<string, string>): Scrape {
  return {
    at,
    sources: Object.entries(sources).map(([name, text]) => ({
      name,
      url: `http://${name}`,
      up: true,
      samples: parseExposition(text).samples,
    })),
  };
}

describe('scrape math', () => {
  it('counts a reset counter by its new value and a newborn series by its whole value', () => {
    const before = scrapeOf(0, { a: 'x_total{k="1"} 10\n', b: 'x_total{k="1"} 5\n' });
    const now = scrapeOf(1000, {
      a: 'x_total{k="1"} 3\n', // restarted: 3 since
      b: 'x_total{k="1"} 7\nx_total{k="2"} 4\n', // +2, and a series born with 4
    });
    expect(Object.fromEntries(increase(now, before, 'x_total', 'k'))).toEqual({ '1': 5, '2': 4 });
  });

  it('ignores a source that was down before (no baseline to compare with)', () => {
    const before: Scrape = { at: 0, sources: [{ name: 'a', url: '', up: false, samples: [] }] };
    const now = scrapeOf(1000, { a: 'x_total 100\n' });
    expect(increase(now, before, 'x_total').size).toBe(0);
  });

  it('computes a quantile over the window only', () => {
    const hist = (fast: number, slow: number) =>
      [
        `h_bucket{le="0.01"} ${fast}`,
        `h_bucket{le="1"} ${fast + slow}`,
        `h_bucket{le="+Inf"} ${fast + slow}`,
      ].join('\n');
    // 1000 fast observations long ago, then 10 slow ones in the window.
    const before = scrapeOf(0, { a: hist(1000, 0) });
    const now = scrapeOf(30_000, { a: hist(1000, 10) });
    const q = quantileBetween(now, before, 0.5, 'h');
    expect(q.count).toBe(10);
    expect(q.value).toBeGreaterThan(0.01);
  });
});

describe('DashboardFeed', () => {
  function setup() {
    let t = 1_000_000;
    const order = createMetrics(undefined, { collectDefaults: false });
    const payment = createMetrics(undefined, { collectDefaults: false });
    let paymentUp = true;
    const sources: MetricsSource[] = [
      { name: 'order-1', url: 'http://o', read: () => order.render() },
      {
        name: 'payment',
        url: 'http://p',
        read: () => (paymentUp ? payment.render() : Promise.reject(new Error('refused'))),
      },
    ];
    const feed = new DashboardFeed(
      () => sources,
      { windowMs: 10_000, stepMs: 2_000 },
      () => t,
    );
    const panel = async (id: string) => {
      const view = await feed.view();
      return view.rows.flatMap((r) => r.panels).find((p) => p.id === id)!;
    };
    return {
      feed,
      order,
      payment,
      panel,
      advance: (ms: number) => (t += ms),
      down: () => (paymentUp = false),
    };
  }

  it('says it is collecting until there are two scrapes, then answers from the window', async () => {
    const s = setup();
    expect((await s.panel('saga-outcomes')).text).toBe('collecting…');
    s.order.sagaOutcomes.inc({ outcome: 'completed', reason: 'none' }, 20);
    s.advance(10_000);
    const p = await s.panel('saga-outcomes');
    expect(p.value).toBe(2); // 20 in 10 s
    expect(p.detail).toContain('completed 20');
    expect(p.series.at(-1)).toBe(2);
  });

  it('reuses a fresh scrape instead of scraping again', async () => {
    const s = setup();
    await s.feed.view();
    s.order.httpRequests.inc({ route: '/orders', status: '202' }, 5);
    s.advance(200);
    expect((await s.panel('http-requests')).text).toBe('collecting…');
  });

  it('marks a failing source down and still reads the others', async () => {
    const s = setup();
    await s.feed.view();
    s.down();
    s.order.dedupHits.inc({ service: 'order', operation: 'x' }, 3);
    s.advance(5_000);
    const view = await s.feed.view();
    expect(view.sources.map((x) => [x.name, x.up])).toEqual([
      ['order-1', true],
      ['payment', false],
    ]);
    expect(view.sources[1]!.error).toBe('refused');
    const dedup = view.rows.flatMap((r) => r.panels).find((p) => p.id === 'dedup-hits')!;
    expect(dedup.value).toBe(3);
  });

  it('names the leader with its token, and flags a duplicate effect as bad', async () => {
    const s = setup();
    s.order.isLeader.set(1);
    s.order.leaderTerm.set(42);
    s.payment.leaderTerm.set(7);
    s.payment.duplicateEffects.inc({ service: 'payment', operation: 'charge' });
    await s.feed.view();
    s.advance(2_000);
    const leader = await s.panel('leader');
    expect(leader.text).toBe('order-1 @42');
    const dup = await s.panel('duplicate-effects');
    expect([dup.status, dup.text]).toEqual(['bad', 'YES: 1']);
  });

  it('flags a quorum write p99 over the 50 ms objective', async () => {
    const s = setup();
    await s.feed.view();
    for (let i = 0; i < 100; i++)
      s.payment.quorumOpDuration.observe({ op: 'write', mode: 'quorum' }, 0.2);
    s.advance(5_000);
    const p = await s.panel('write-p99');
    expect(p.status).toBe('bad');
    expect(p.value).toBeGreaterThan(0.05);
  });

  it('reads attempts per effect from the downstream layer, and names the other layers beside', async () => {
    const s = setup();
    await s.feed.view();
    // The orchestrator sent each step once and the clients asked four times; the payment
    // handler still saw one effect arrive three times (a re-send and a redelivery).
    for (let i = 0; i < 20; i++) s.order.effectAttempts.observe({ layer: 'orchestrator' }, 1);
    s.order.effectAttempts.observe({ layer: 'client' }, 4);
    s.payment.effectAttempts.observe({ layer: 'downstream' }, 3);
    for (const cause of ['first', 'resend', 'redelivery'])
      s.payment.effectArrivals.inc({ service: 'payment', operation: 'charge', cause });
    s.advance(2_000);
    const p = await s.panel('attempts');
    expect([p.value, p.text, p.status]).toEqual([3, 'p99 3 arrivals', 'ok']);
    expect(p.detail).toBe(
      'mean 3 · 1 effects · first 1 · resend 1 · redelivery 1 · sends p99 1 · client requests p99 4',
    );
  });
});
