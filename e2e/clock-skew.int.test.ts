/**
 * Hole 8 (deadlines across hosts), end to end: the order leader's clock runs 20 s behind payment's
 * and inventory's. Hunts: a saga deadline, an instant of the leader's clock, compared on the other
 * hosts (where it had passed before the saga began), so that every command of a 5 s order is
 * refused and the order is cancelled although nothing was slow.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../infra/stack/index.ts';
import { Pipeline } from './pipeline-harness.ts';

const SKEW_MS = -20_000;
let p: Pipeline;

beforeAll(async () => {
  p = await Pipeline.start({
    orderReplicas: 1,
    basePort: 3870,
    order: { clock: () => Date.now() + SKEW_MS },
  });
  await p.seed();
});

afterAll(async () => {
  const report = await p.audit();
  await p.stop();
  expect(report.violations).toEqual([]);
});

it('hole 8: completes a 5 s order although the order leader runs 20 s behind the services', async () => {
  // A loaded machine can cost the lease right after start; the next term is just as skewed.
  await waitFor(() => p.orders.some((o) => o.orchestrator.leading), {
    what: 'an order leader',
    timeoutMs: 20_000,
    intervalMs: 20,
  });
  const placed = await p.place(
    'skewed-1',
    {
      customerId: 'cust-1',
      items: [{ sku: 'sku-1', qty: 1, unitPriceCents: 100 }],
      currency: 'USD',
    },
    p.leader.url,
    { 'seamline-deadline-ms': '5000' },
  );
  expect(placed.status).toBe(202);
  const done = await p.settled(String(placed.json.orderId), 20_000);
  expect(done).toMatchObject({ status: 'COMPLETED' });
});
