/**
 * Hunts wiring bugs between the libraries' hooks and the seam metrics: a dead-letter reason
 * leaking free text (subjects, payload issues) into a label, leader changes counted only where
 * the process itself won (the flapping alert would miss a standby's view), a fencing rejection
 * that leaves no log line, and dedup hits filed under the wrong service.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  busMetricsObserver,
  createLogger,
  createMetrics,
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
