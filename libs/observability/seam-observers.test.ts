/**
 * Hunts wiring bugs between the libraries' hooks and the seam metrics: a dead-letter reason
 * leaking free text (subjects, payload issues) into a label, leader changes counted only where
 * the process itself won (the flapping alert would miss a standby's view), a fencing rejection
 * that leaves no log line, dedup hits filed under the wrong service, and attempts per effect
 * filed under the wrong layer or arrivals under the wrong cause, and a duplicate effect filed
 * under the wrong service or missing its zero series (issue 13).
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  antiEntropyLogObserver,
  busMetricsObserver,
  createLogger,
  createMetrics,
  duplicateEffectsObserver,
  effectArrivalsObserver,
  effectAttemptsObserver,
  electionMetricsObserver,
  idempotencyMetricsObserver,
  quorumMetricsObserver,
} from './index.ts';

const fresh = () => createMetrics(new Registry(), { collectDefaults: false });
const series = async (text: Promise<string>, name: string): Promise<string[]> =>
  (await text).split('\n').filter((l) => l.startsWith(name));

describe('busMetricsObserver', () => {
  it('files every dead letter under one of three fixed reasons', async () => {
    const m = fresh();
    const bus = busMetricsObserver(m);
    bus.onDeadLetter('max deliveries exceeded: DB_DOWN: db down');
    bus.onDeadLetter('max deliveries exceeded: delivery 5 of 5 found no recorded outcome');
    bus.onDeadLetter('subject "seamline.cmd.x.y.z" is not a command subject');
    bus.onDeadLetter('payload does not match payment.charge: amountCents: too small');
    bus.onDeadLetter('deadline passed before the handler ran');
    expect(await series(m.render(), 'seamline_dead_letters_total')).toEqual([
      'seamline_dead_letters_total{reason="max_deliveries"} 2',
      'seamline_dead_letters_total{reason="malformed"} 2',
      'seamline_dead_letters_total{reason="deadline"} 1',
    ]);
  });
});

describe('electionMetricsObserver', () => {
  it('counts every new term seen, follows its token, and tracks its own leadership', async () => {
    const m = fresh();
    const election = electionMetricsObserver(m);
    election.onLeaderChange('payment-writer', { token: 4 });
    election.onLeaderChange('payment-writer', { token: 9 });
    election.onElected();
    const text = m.render();
    expect(await series(text, 'seamline_leader_changes_total')).toEqual([
      'seamline_leader_changes_total 2',
    ]);
    expect(await series(text, 'seamline_leader_term')).toEqual(['seamline_leader_term 9']);
    expect(await series(text, 'seamline_is_leader')).toEqual(['seamline_is_leader 1']);
    election.onLost();
    expect(await series(m.render(), 'seamline_is_leader')).toEqual(['seamline_is_leader 0']);
  });
});

describe('quorumMetricsObserver', () => {
  it('counts a fencing rejection and, given a logger, logs it with both tokens', async () => {
    const m = fresh();
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({
      service: 'payment',
      destination: { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) },
    });
    const event = { domain: 'payment', staleToken: 3, installedToken: 8, replica: 'pg-2' };
    quorumMetricsObserver(m, log).onFencingRejection(event);
    quorumMetricsObserver(m).onFencingRejection(event);
    expect(await series(m.render(), 'seamline_fencing_rejections_total')).toEqual([
      'seamline_fencing_rejections_total{domain="payment"} 2',
    ]);
    expect(lines).toMatchObject([{ level: 'warn', event: 'fencing-rejection', ...event }]);
  });
});

describe('idempotencyMetricsObserver', () => {
  it('files dedup hits under the receiving service and the operation', async () => {
    const m = fresh();
    idempotencyMetricsObserver(m, 'inventory').onDedupHit('reserve');
    expect(await series(m.render(), 'seamline_dedup_hits_total')).toEqual([
      'seamline_dedup_hits_total{service="inventory",operation="reserve"} 1',
    ]);
  });
});

describe('duplicateEffectsObserver', () => {
  it('starts every operation at 0 and files each duplicate under its service and kind', async () => {
    const m = fresh();
    const hook = duplicateEffectsObserver(m, 'payment', ['charge', 'refund']);
    expect(await series(m.render(), 'seamline_duplicate_effects_total')).toEqual([
      'seamline_duplicate_effects_total{service="payment",operation="charge"} 0',
      'seamline_duplicate_effects_total{service="payment",operation="refund"} 0',
    ]);
    hook.onDuplicate('refund');
    expect(await series(m.render(), 'seamline_duplicate_effects_total')).toEqual([
      'seamline_duplicate_effects_total{service="payment",operation="charge"} 0',
      'seamline_duplicate_effects_total{service="payment",operation="refund"} 1',
    ]);
  });
});

describe('effectAttemptsObserver', () => {
  it('observes each forgotten key once under its layer, and exposes only that layer', async () => {
    const m = fresh();
    const downstream = effectAttemptsObserver(m, 'downstream');
    expect(await series(m.render(), 'seamline_effect_attempts_count')).toEqual([
      'seamline_effect_attempts_count{layer="downstream"} 0',
    ]);
    downstream.onForget('saga-1:charge:charge', 3);
    downstream.onForget('saga-2:charge:charge', 1);
    const text = m.render();
    expect(await series(text, 'seamline_effect_attempts_count')).toEqual([
      'seamline_effect_attempts_count{layer="downstream"} 2',
    ]);
    expect(await series(text, 'seamline_effect_attempts_sum')).toEqual([
      'seamline_effect_attempts_sum{layer="downstream"} 4',
    ]);
    expect(await series(text, 'seamline_effect_attempts_bucket{le="1"')).toEqual([
      'seamline_effect_attempts_bucket{le="1",layer="downstream"} 1',
    ]);
  });
});

describe('effectArrivalsObserver', () => {
  it('starts every operation and cause at zero and counts arrivals by cause', async () => {
    const m = fresh();
    const arrivals = effectArrivalsObserver(m, 'payment', ['charge']);
    arrivals.onArrival('charge', 'redelivery');
    arrivals.onArrival('charge', 'redelivery');
    arrivals.onArrival('refund', 'resend');
    expect(await series(m.render(), 'seamline_effect_arrivals_total')).toEqual([
      'seamline_effect_arrivals_total{service="payment",operation="charge",cause="first"} 0',
      'seamline_effect_arrivals_total{service="payment",operation="charge",cause="resend"} 0',
      'seamline_effect_arrivals_total{service="payment",operation="charge",cause="redelivery"} 2',
      'seamline_effect_arrivals_total{service="payment",operation="refund",cause="resend"} 1',
    ]);
  });
});

describe('antiEntropyLogObserver', () => {
  it('warns once per pass that repaired something or failed, and stays quiet on a clean pass', () => {
    const lines: [unknown, string][] = [];
    const log = { warn: (obj: unknown, msg: string) => void lines.push([obj, msg]) };
    const o = antiEntropyLogObserver(
      log as unknown as Parameters<typeof antiEntropyLogObserver>[0],
    );
    o.onPass([{ domain: 'order', divergent: 0 }]);
    expect(lines).toEqual([]);
    o.onPass([
      { domain: 'order', divergent: 0 },
      { domain: 'payment', divergent: 3 },
    ]);
    o.onError(new Error('pg-2 down'));
    expect(lines).toEqual([
      [{ reports: [{ domain: 'payment', divergent: 3 }] }, 'anti-entropy repaired replicas'],
      [{ err: 'Error: pg-2 down' }, 'anti-entropy pass failed; will retry'],
    ]);
  });
});
