/**
 * Hunts: a steady stream of growth reported as a new event every scrape (the timeline drowns),
 * a gauge that wanders under load drowning the timeline, a slow-write counter that counts the
 * fast ones, a dead process reported again on every failed scrape.
 */
import { createMetrics, parseExposition } from '@seamline/observability';
import { describe, expect, it } from 'vitest';
import { QUIET_MS, signalEvents, watchedValues } from './signal-events.ts';
import type { SignalState } from './signal-events.ts';

async function samplesOf(m: ReturnType<typeof createMetrics>) {
  return parseExposition(await m.render()).samples;
}

describe('signalEvents', () => {
  it('reports a counter once when it starts growing, again only after a quiet spell', async () => {
    const m = createMetrics(undefined, { collectDefaults: false });
    m.retriesShed.inc({ downstream: 'payment' }, 0);
    let state: SignalState | undefined;
    const step = async (t: number) => {
      const r = signalEvents(state, await samplesOf(m), t);
      state = r.next;
      return r.events;
    };
    expect(await step(0)).toEqual([]); // baseline
    m.retriesShed.inc({ downstream: 'payment' }, 2);
    expect(await step(250)).toEqual([
      'seamline_retries_shed_total{downstream="payment"} starts growing (+2, now 2)',
    ]);
    m.retriesShed.inc({ downstream: 'payment' });
    expect(await step(500)).toEqual([]);
    m.retriesShed.inc({ downstream: 'payment' });
    expect(await step(500 + QUIET_MS)).toHaveLength(1);
  });

  it('reports gauges that wander only when they cross a level', async () => {
    const m = createMetrics(undefined, { collectDefaults: false });
    m.consumerLag.set({ consumer: 'payment' }, 3);
    m.retryBudgetBalance.set({ downstream: 'payment' }, 50);
    m.isLeader.set(0);
    let state = signalEvents(undefined, await samplesOf(m), 0).next;
    m.consumerLag.set({ consumer: 'payment' }, 7);
    m.retryBudgetBalance.set({ downstream: 'payment' }, 20);
    let r = signalEvents(state, await samplesOf(m), 1);
    expect(r.events).toEqual([]);
    state = r.next;
    m.consumerLag.set({ consumer: 'payment' }, 250);
    m.retryBudgetBalance.set({ downstream: 'payment' }, 0.4);
    m.isLeader.set(1);
    r = signalEvents(state, await samplesOf(m), 2);
    expect(r.events.sort()).toEqual([
      'seamline_consumer_lag_messages{consumer="payment"} 7 → 250',
      'seamline_is_leader 0 → 1',
      'seamline_retry_budget_balance{downstream="payment"} 20 → 0.4',
    ]);
    // Hovering around one token while retries drain it is not news; refilling is.
    for (const [v, expected] of [
      [1.4, 0],
      [0.6, 0],
      [1.2, 0],
      [12, 1],
    ] as const) {
      m.retryBudgetBalance.set({ downstream: 'payment' }, v);
      r = signalEvents(r.next, await samplesOf(m), 3);
      expect(r.events, `balance ${v}`).toHaveLength(expected);
    }
  });

  it('counts only the quorum writes slower than the 50 ms objective', async () => {
    const m = createMetrics(undefined, { collectDefaults: false });
    for (const s of [0.002, 0.01, 0.06, 0.3])
      m.quorumOpDuration.observe({ op: 'write', mode: 'quorum' }, s);
    const values = watchedValues(await samplesOf(m));
    expect(
      values.get('counter slower than 0.05s: seamline_quorum_op_duration_seconds{op="write"}'),
    ).toBe(2);
  });

  it('says once that a process stopped answering, and when it is back', async () => {
    const m = createMetrics(undefined, { collectDefaults: false });
    const first = signalEvents(undefined, await samplesOf(m), 0);
    const down = signalEvents(first.next, undefined, 1);
    expect(down.events).toEqual(['unreachable: /metrics does not answer']);
    expect(signalEvents(down.next, undefined, 2).events).toEqual([]);
    expect(signalEvents(down.next, await samplesOf(m), 3).events).toEqual(['reachable again']);
  });
});
