/**
 * Hunts a silently dropped compensation: when a refund cannot get through (payment is down), the
 * saga must stay COMPENSATING, be counted as stuck (metric and admin view), and finish the
 * compensation once payment returns, ending CANCELLED/DEADLINE_EXCEEDED with the charge undone.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../infra/stack/index.ts';
import { metricSum, Pipeline } from './pipeline-harness.ts';

let p: Pipeline;
beforeAll(async () => {
  p = await Pipeline.start({
    orderReplicas: 1,
    basePort: 3830,
    order: { orchestrator: { stuckAfterSends: 2, redriveAfterMs: 300 } },
  });
  await p.seed();
});
afterAll(async () => {
  const report = await p.audit();
  await p.stop();
  expect(report.violations).toEqual([]);
});

it('keeps a saga whose compensation keeps failing visible as stuck, then finishes it when the downstream returns', async () => {
  await p.stopPayment();
  const placed = await p.place(
    'stuck-1',
    {
      customerId: 'cust-1',
      items: [{ sku: 'sku-1', qty: 1, unitPriceCents: 100 }],
      currency: 'USD',
    },
    p.leader.url,
    {
      'seamline-deadline-ms': '1500',
    },
  );
  expect(placed.status).toBe(202);
  const orderId = String(placed.json.orderId);
  const stuck = await waitFor(
    async () => {
      const view = (await (await fetch(`${p.leader.url}/admin/sagas/stuck`)).json()) as {
        stuck: { orderId: string; compensating: string }[];
      };
      return view.stuck.find((s) => s.orderId === orderId);
    },
    { what: 'the saga listed as stuck', timeoutMs: 20_000, intervalMs: 100 },
  );
  expect(stuck.compensating).toBe('refund');
  expect(await metricSum(p.leader.url, 'seamline_sagas_stuck')).toBeGreaterThanOrEqual(1);
  const meanwhile = (await (await fetch(`${p.leader.url}/orders/${orderId}`)).json()) as {
    status: string;
  };
  expect(meanwhile.status).toBe('COMPENSATING');

  await p.startPayment();
  const done = await p.settled(orderId);
  expect(done).toMatchObject({ status: 'CANCELLED', reason: 'DEADLINE_EXCEEDED' });
  await waitFor(async () => (await metricSum(p.leader.url, 'seamline_sagas_stuck')) === 0, {
    what: 'stuck gauge back to 0',
    timeoutMs: 10_000,
    intervalMs: 100,
  });
});
