/**
 * Hole 8 (deadlines across hosts), at the HTTP edge: a follower forwards `POST /orders` to the
 * leader. Hunts: a forwarded request whose leader hop gets as much time as the client gave (or the
 * full default when the client named none) instead of strictly less; a deadline forwarded as an
 * instant of the follower's clock.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Orchestrator } from './orchestrator/orchestrator.ts';
import type { OrderRecords } from './orchestrator/order-records.ts';
import { OrderService } from './order-service.ts';
import type { PlaceOrderBody } from './http/order-request.ts';

const body = {
  customerId: 'c-1',
  currency: 'EUR',
  items: [{ sku: 'sku-1', qty: 1, priceCents: 100 }],
} as unknown as PlaceOrderBody;

function follower(clock: () => number) {
  const sent: Record<string, string>[] = [];
  vi.stubGlobal('fetch', async (_url: string, init: { headers: Record<string, string> }) => {
    sent.push(init.headers);
    return new Response('{}', { status: 202, headers: { 'content-type': 'application/json' } });
  });
  const service = new OrderService(
    { leading: false } as unknown as Orchestrator,
    {} as OrderRecords,
    { leaderUrl: () => 'http://leader.invalid' },
    { defaultDeadlineMs: 30_000, maxWaitMs: 30_000 },
    clock,
  );
  return { service, sent };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('hole 8: a follower forwarding an order to the leader', () => {
  it('forwards the time left, strictly less than the client gave, as a relative budget', async () => {
    // A clock 20 s ahead of everyone, and 7 ms pass while the follower holds the request.
    let now = Date.now() + 20_000;
    const { service, sent } = follower(() => (now += 7) - 7);
    const answer = await service.place('key-1', body, 4_000, body);
    expect(answer).toMatchObject({ status: 202, forwarded: true });
    const forwarded = Number(sent[0]?.['seamline-deadline-ms']);
    expect(forwarded).toBeLessThan(4_000);
    expect(forwarded).toBeGreaterThanOrEqual(4_000 - 7);
  });

  it('forwards less than the default when the client named no deadline', async () => {
    const { service, sent } = follower(() => 1_000);
    await service.place('key-2', body, undefined, body);
    const forwarded = Number(sent[0]?.['seamline-deadline-ms']);
    expect(forwarded).toBeLessThan(30_000);
    expect(forwarded).toBeGreaterThan(29_000);
  });

  it('never forwards a spent or negative budget', async () => {
    let now = 0;
    const { service, sent } = follower(() => (now += 5_000));
    await service.place('key-3', body, 2_000, body);
    expect(sent[0]?.['seamline-deadline-ms']).toBe('1');
  });
});
