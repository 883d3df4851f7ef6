/**
 * Hunts: a metric name drifting from the fixed table (dashboards and alerts
 * would silently go blank), labels missing or renamed, a histogram whose
 * buckets cannot resolve the 50 ms write objective, a second registration
 * going unnoticed.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  ALL_METRIC_NAMES,
  ARRIVAL_CAUSES,
  EFFECT_LAYERS,
  HISTOGRAM_METRIC_NAMES,
  METRIC_NAMES,
  baseMetricName,
  createMetrics,
  isSeamlineSeries,
} from './index.ts';

/** Metric families (`# TYPE name kind`) in an exposition text. */
function families(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) out.set(match[1]!, match[2]!);
  return out;
}

describe('createMetrics', () => {
  it('registers every name in METRIC_NAMES, and nothing seamline_ beyond them', async () => {
    const metrics = createMetrics();
    const types = families(await metrics.render());
    for (const name of ALL_METRIC_NAMES) expect(types.has(name), name).toBe(true);
    const extra = [...types.keys()].filter(
      (n) => n.startsWith('seamline_') && !(ALL_METRIC_NAMES as readonly string[]).includes(n),
    );
    expect(extra).toEqual([]);
  });

  it('exposes each metric under its METRIC_NAMES key with the matching name', async () => {
    const metrics = createMetrics(new Registry(), { collectDefaults: false });
    for (const [key, name] of Object.entries(METRIC_NAMES)) {
      const metric = metrics[key as keyof typeof METRIC_NAMES];
      const data = await metric.get();
      expect(data.name, key).toBe(name);
    }
  });

  it('gives histograms and counters the Prometheus kinds their names promise', async () => {
    const types = families(await createMetrics().render());
    for (const name of HISTOGRAM_METRIC_NAMES) expect(types.get(name), name).toBe('histogram');
    for (const name of ALL_METRIC_NAMES.filter((n) => n.endsWith('_total'))) {
      expect(types.get(name), name).toBe('counter');
    }
  });

  it('collects default process metrics without a prefix', async () => {
    const text = await createMetrics().render();
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });

  it('writes the documented labels', async () => {
    const m = createMetrics(new Registry(), { collectDefaults: false });
    m.consumerLag.set({ consumer: 'payment-commands' }, 7);
    m.quorumOpDuration.observe({ op: 'write', mode: 'quorum' }, 0.003);
    m.quorumAcks.inc({ op: 'write', outcome: 'timeout' });
    m.replicaEjected.set({ replica: 'pg-2' }, 1);
    m.dedupHits.inc({ service: 'payment', operation: 'charge' });
    m.duplicateEffects.inc({ service: 'payment', operation: 'refund' }, 0);
    m.sagaOutcomes.inc({ outcome: 'cancelled', reason: 'payment_declined' });
    m.httpRequests.inc({ route: '/orders', status: '202' });
    m.leaderTerm.set(42);
    m.effectAttempts.observe({ layer: 'client' }, 3);
    m.effectArrivals.inc({ service: 'payment', operation: 'charge', cause: 'redelivery' });
    const text = await m.render();
    expect(text).toContain('seamline_consumer_lag_messages{consumer="payment-commands"} 7');
    expect(text).toContain(
      'seamline_quorum_op_duration_seconds_bucket{le="0.005",op="write",mode="quorum"} 1',
    );
    expect(text).toContain('seamline_quorum_acks_total{op="write",outcome="timeout"} 1');
    expect(text).toContain('seamline_replica_ejected{replica="pg-2"} 1');
    expect(text).toContain('seamline_dedup_hits_total{service="payment",operation="charge"} 1');
    expect(text).toContain(
      'seamline_duplicate_effects_total{service="payment",operation="refund"} 0',
    );
    expect(text).toContain(
      'seamline_saga_outcomes_total{outcome="cancelled",reason="payment_declined"} 1',
    );
    expect(text).toContain('seamline_http_requests_total{route="/orders",status="202"} 1');
    expect(text).toContain('seamline_leader_term 42');
    expect(text).toContain('seamline_effect_attempts_bucket{le="3",layer="client"} 1');
    expect(text).toContain('seamline_effect_attempts_sum{layer="client"} 3');
    expect(text).toContain(
      'seamline_effect_arrivals_total{service="payment",operation="charge",cause="redelivery"} 1',
    );
  });

  it('keeps the attempts and arrivals labels to their small fixed sets', () => {
    expect(EFFECT_LAYERS).toEqual(['client', 'orchestrator', 'downstream']);
    expect(ARRIVAL_CAUSES).toEqual(['first', 'resend', 'redelivery']);
  });

  it('starts every quorum op/outcome counter at zero so rate() sees the first failure', async () => {
    const text = await createMetrics(new Registry(), { collectDefaults: false }).render();
    expect(text).toContain('seamline_quorum_acks_total{op="install_fence",outcome="rejected"} 0');
    expect(text.match(/^seamline_quorum_acks_total\{/gm)).toHaveLength(12);
  });

  it('has latency buckets from 0.5 ms to 5 s with an edge at the 50 ms objective', async () => {
    const m = createMetrics(new Registry(), { collectDefaults: false });
    m.quorumOpDuration.observe({ op: 'read', mode: 'linearizable' }, 0.01);
    const text = await m.render();
    const edges = [...text.matchAll(/seamline_quorum_op_duration_seconds_bucket\{le="([^"]+)"/g)]
      .map((match) => match[1])
      .filter((le) => le !== '+Inf')
      .map(Number);
    expect(edges[0]).toBe(0.0005);
    expect(edges.at(-1)).toBe(5);
    expect(edges).toContain(0.05);
  });

  it('refuses a second registration in the same registry', () => {
    const registry = new Registry();
    createMetrics(registry, { collectDefaults: false });
    expect(() => createMetrics(registry, { collectDefaults: false })).toThrow(/already/);
  });
});

describe('series names', () => {
  it('maps histogram series back to their metric and leaves others alone', () => {
    expect(baseMetricName('seamline_quorum_op_duration_seconds_bucket')).toBe(
      'seamline_quorum_op_duration_seconds',
    );
    expect(baseMetricName('seamline_saga_duration_seconds_count')).toBe(
      'seamline_saga_duration_seconds',
    );
    expect(baseMetricName('seamline_leader_changes_total')).toBe('seamline_leader_changes_total');
    expect(isSeamlineSeries('seamline_effect_attempts_sum')).toBe(true);
    // A _count suffix on a non-histogram is a different, unknown metric.
    expect(isSeamlineSeries('seamline_sagas_stuck_count')).toBe(false);
    expect(isSeamlineSeries('seamline_quorum_write_seconds')).toBe(false);
  });
});
