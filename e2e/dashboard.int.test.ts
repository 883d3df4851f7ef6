/**
 * The order service's /dashboard in a real headless Chromium while orders flow: the page alone
 * (no CDN, no Grafana) shows every seam row live, fed by this replica, the leader it knows,
 * payment and inventory. Saves the screenshot under .seamline/ (docs/dashboard.png only with
 * SEAMLINE_DOCS_SCREENSHOT=1, when the docs' picture is to be renewed).
 *
 * Hunts: a page that needs the network, panels that never leave "collecting…", a follower's
 * dashboard blind to the saga metrics only the leader has, a source shown up while it is down,
 * numbers that do not follow the traffic.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricsSource } from '../apps/order/src/dashboard/dashboard-feed.ts';
import { Pipeline } from './pipeline-harness.ts';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Debian's chromium, installed with apt when missing (needs root, as in CI containers). */
function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  if (process.getuid?.() !== 0) throw new Error(`${CHROMIUM} missing: apt-get install chromium`);
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], {
    stdio: 'pipe',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    timeout: 600_000,
  });
}

/** Orders at a steady pace until stopped: mostly completing, every fifth declined. */
function orderFlow(p: Pipeline): { stop(): Promise<number> } {
  let running = true;
  let n = 0;
  const loop = (async () => {
    while (running) {
      const i = n++;
      const customerId = i % 5 === 4 ? 'cust-broke' : `cust-${(i % 10) + 1}`;
      const via = p.orders[i % p.orders.length]!.url;
      await p
        .place(
          `dash-${i}`,
          {
            customerId,
            items: [{ sku: `sku-${(i % 5) + 1}`, qty: 1, unitPriceCents: 300 }],
            currency: 'USD',
          },
          via,
        )
        .catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100)); // pacing the load, not synchronising
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return n;
    },
  };
}

/** Waits (in the page, on its own polling) until each panel's number is above zero. */
async function panelsAboveZero(page: Page, ids: readonly string[]): Promise<void> {
  // A string, evaluated in the page: this process has no DOM types.
  const check = `${JSON.stringify(ids)}.every((id) => Number(document.querySelector('[data-panel="' + id + '"]')?.getAttribute('data-value')) > 0)`;
  await page.waitForFunction(check, undefined, { timeout: 60_000, polling: 250 });
}

async function panelValue(page: Page, id: string): Promise<number | null> {
  const raw = await page.getAttribute(`[data-panel="${id}"]`, 'data-value');
  return raw === null || raw === '' ? null : Number(raw);
}

describe('/dashboard in headless Chromium', () => {
  const peers: MetricsSource[] = [];
  let p: Pipeline;
  let browser: Browser;
  let flow: ReturnType<typeof orderFlow>;

  beforeAll(async () => {
    ensureChromium();
    p = await Pipeline.start({
      basePort: 3860,
      env: { SEAMLINE_DUPLICATE_DELIVERY: '2' },
      order: { dashboard: { peers: () => peers } },
    });
    peers.push(
      { name: 'payment', url: p.payment.url },
      { name: 'inventory', url: p.inventory.url },
    );
    await p.seed();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
    flow = orderFlow(p);
  });
  afterAll(async () => {
    await flow?.stop();
    await browser?.close();
    await p?.stop();
  });

  it('shows every seam live on the leader, and saves the screenshot', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const offline: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(p.leader.url)) offline.push(r.url());
    });
    await page.goto(`${p.leader.url}/dashboard`);
    await panelsAboveZero(page, ['saga-outcomes', 'write-p99', 'http-requests', 'dedup-hits']);
    const rows = await page.$$eval('section.row h2', (hs) => hs.map((h) => h.textContent));
    expect(rows).toEqual([
      'Bus',
      'Quorum store',
      'Leader & fencing',
      'Retry budget',
      'Idempotency',
      'Sagas',
      'HTTP edge',
    ]);
    const leader = `order-${p.orders.indexOf(p.leader) + 1}`;
    const chips = await page.$$eval('.chip', (cs) =>
      cs.map((c) => `${c.textContent} ${c.className}`),
    );
    expect(chips).toEqual([`${leader} chip up`, 'payment chip up', 'inventory chip up']);
    expect(await page.textContent('[data-panel="leader"] .v')).toContain(leader);
    expect(await page.textContent('[data-panel="duplicate-effects"] .v')).toBe('no');
    expect(await panelValue(page, 'read-p99')).toBeGreaterThan(0);
    expect(await page.getAttribute('[data-panel="saga-outcomes"]', 'data-status')).toBe('ok');
    // Sparklines are drawn once there is history.
    await page.waitForFunction(
      `(document.querySelector('[data-panel="http-requests"] polyline')?.getAttribute('points') ?? '').split(' ').length > 2`,
      undefined,
      { timeout: 30_000, polling: 250 },
    );
    expect(offline).toEqual([]);
    const shot =
      process.env.SEAMLINE_DOCS_SCREENSHOT === '1'
        ? 'docs/dashboard.png'
        : '.seamline/dashboard.png';
    await page.screenshot({ path: shot, fullPage: true });
    await page.close();
  });

  it("shows the saga metrics on a follower's dashboard too, through the leader it knows", async () => {
    const follower = p.orders.find((o) => !o.orchestrator.leading)!;
    const page = await browser.newPage();
    await page.goto(`${follower.url}/dashboard`);
    await panelsAboveZero(page, ['saga-outcomes']);
    const chips = await page.$$eval('.chip', (cs) => cs.map((c) => c.textContent));
    expect(chips).toHaveLength(4);
    await page.close();
  });

  it('marks a source that stops answering as down', async () => {
    const page = await browser.newPage();
    await page.goto(`${p.leader.url}/dashboard`);
    peers.push({ name: 'nowhere', url: 'http://127.0.0.1:1' });
    await page.waitForSelector('.chip.down', { timeout: 20_000 });
    expect(await page.textContent('.chip.down')).toBe('nowhere');
    peers.pop();
    await page.close();
  });
});
