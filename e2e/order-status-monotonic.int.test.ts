/**
 * Issue 11, item 1, the order API: a client that saw a status must never read an older one
 * afterwards. Hunts a follower answering GET /orders/:id from a stale quorum read (a PENDING
 * after the leader's COMPLETED), a terminal status that changes, and a status moving backwards
 * while a PostgreSQL replica is paused. Several clients place orders (some declined, so they
 * pass through COMPENSATING) and poll them through both order replicas; every read is recorded
 * and checked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Observation } from '@seamline/history-check';
import { checkMonotonicReads } from '@seamline/history-check';
import { STATUS_PROGRESS } from '../apps/order/src/saga/saga-state.ts';
import { signalProcess, waitFor } from '../infra/stack/index.ts';
import { stackOptionsFromEnv } from '../infra/stack/env-options.ts';
import { Pipeline } from './pipeline-harness.ts';

const CLIENTS = 6;
const ORDERS_PER_CLIENT = 4;
/** Reads of a terminal order after the first one: it must stay where it is. */
const READS_AFTER_TERMINAL = 3;
const PAUSED_REPLICA = 'pg-2';

describe('order status reads per client (issue 11)', () => {
  let p: Pipeline;
  let paused = false;
  beforeAll(async () => {
    p = await Pipeline.start({ basePort: 3880 + Number(process.env.SEAMLINE_STACK_OFFSET ?? 0) });
    await p.seed();
  });
  afterAll(async () => {
    if (paused) await signalProcess(PAUSED_REPLICA, 'resume', stackOptionsFromEnv());
    await p.stop();
  });

  it('never shows a client an older status than one it already saw, through either replica', async () => {
    const observations: Observation[] = [];
    let clock = 0;
    let finished = false;
    let readsWhilePaused = 0;

    const client = async (c: number): Promise<void> => {
      const process = `client-${c}`;
      for (let n = 0; n < ORDERS_PER_CLIENT; n++) {
        // Every third order is for the customer whose payment is declined: PENDING,
        // COMPENSATING (release), CANCELLED.
        const customer = (c + n) % 3 === 0 ? 'cust-broke' : `cust-${1 + ((c + n) % 10)}`;
        const via = p.orders[(c + n) % p.orders.length]!.url;
        const placed = await p.place(
          `mono-${p.suffix}-${c}-${n}`,
          {
            customerId: customer,
            items: [{ sku: `sku-${1 + (n % 5)}`, qty: 1, unitPriceCents: 300 }],
            currency: 'USD',
          },
          via,
        );
        expect(placed.status).toBe(202);
        const orderId = String(placed.json.orderId);
        let afterTerminal = -1;
        for (let i = 0; afterTerminal < READS_AFTER_TERMINAL; i++) {
          // Alternate replicas: the follower answers from its own quorum read.
          const replica = p.orders[i % p.orders.length]!;
          const invoke = ++clock;
          const res = await fetch(
            `${replica.url}/orders/${orderId}?waitMs=${i % 2 === 0 ? 0 : 50}`,
          );
          expect(res.status).toBe(200);
          const { status } = (await res.json()) as { status: string };
          observations.push({ process, key: orderId, state: status, invoke });
          if (afterTerminal >= 0 || status === 'COMPLETED' || status === 'CANCELLED')
            afterTerminal += 1;
          expect(i, `order ${orderId} never became terminal`).toBeLessThan(2_000);
        }
      }
    };

    const run = Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c))).finally(() => {
      finished = true;
    });
    // Pause a PostgreSQL replica while the clients run, and resume it after more reads.
    await waitFor(() => observations.length >= 20 || finished, {
      what: 'first reads',
      intervalMs: 5,
    });
    if (!finished) {
      await signalProcess(PAUSED_REPLICA, 'pause', stackOptionsFromEnv());
      paused = true;
      const mark = observations.length;
      await waitFor(() => observations.length >= mark + 60 || finished, {
        what: 'reads while a replica is paused',
        intervalMs: 5,
      });
      readsWhilePaused = observations.length - mark;
      await signalProcess(PAUSED_REPLICA, 'resume', stackOptionsFromEnv());
      paused = false;
    }
    await run;

    const result = checkMonotonicReads(observations, STATUS_PROGRESS);
    expect(result.violations.map((v) => v.message)).toEqual([]);
    const seen = new Set(observations.map((o) => o.state));
    console.info(
      `[order-status-monotonic] ${observations.length} reads (${readsWhilePaused} with ${PAUSED_REPLICA} paused), statuses seen: ${[...seen].join(', ')}`,
    );
    expect(readsWhilePaused, 'reads made while a replica was paused').toBeGreaterThan(0);
    // The check saw the paths it guards: orders that completed and orders that were cancelled.
    expect(seen).toContain('COMPLETED');
    expect(seen).toContain('CANCELLED');
    expect(result.observations).toBeGreaterThan(
      CLIENTS * ORDERS_PER_CLIENT * (READS_AFTER_TERMINAL + 1) - 1,
    );
  });
});
