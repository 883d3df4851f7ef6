/** The seam rows of the order flow: retry budget, idempotency, sagas and the HTTP edge. */
import { METRIC_NAMES as M } from '@seamline/observability';
import {
  counterTotal,
  gaugeMax,
  gaugeSamples,
  increase,
  max,
  quantileBetween,
  sum,
  totalIncrease,
} from './scrape-math.ts';
import type { RowSpec } from './panel-kit.ts';
import { fmt, list, ms, perSec, reading, seconds } from './panel-kit.ts';

export const retryRow: RowSpec = {
  seam: 'Retry budget',
  panels: [
    {
      id: 'retries',
      question: 'Are we shedding retries?',
      read(now, before) {
        const dt = seconds(now, before);
        const tried = totalIncrease(now, before, M.retriesAttempted) / dt;
        const shed = totalIncrease(now, before, M.retriesShed) / dt;
        const detail = `retried ${perSec(tried)} · shed since start ${fmt(sum(counterTotal(now, M.retriesShed)))}`;
        return reading(shed, `shed ${perSec(shed)}`, detail, shed > 0 ? 'warn' : 'ok');
      },
    },
    {
      id: 'budget',
      question: 'How much retry budget is left?',
      read(now) {
        const balance = new Map<string, number>();
        for (const s of gaugeSamples(now, M.retryBudgetBalance)) {
          const k = s.labels['downstream'] ?? '';
          balance.set(k, Math.min(balance.get(k) ?? Number.POSITIVE_INFINITY, s.value));
        }
        const low = balance.size === 0 ? undefined : Math.min(...balance.values());
        if (low === undefined) return reading(undefined, 'no budgets yet', '', 'idle');
        return reading(low, `min ${fmt(low)} tokens`, list(balance), low < 1 ? 'warn' : 'ok');
      },
    },
    {
      id: 'attempts',
      question: 'How many attempts does one effect take?',
      read(now, before) {
        // What the receivers really saw per effect key (re-sends x redeliveries); each key is
        // a sample once it has gone idle, so this trails the traffic by the attempts ttl.
        const downstream = { layer: 'downstream' };
        const p99 = quantileBetween(now, before, 0.99, M.effectAttempts, downstream);
        const p99Of = (layer: string) => {
          const q = quantileBetween(now, before, 0.99, M.effectAttempts, { layer });
          return q.count === 0 ? '–' : fmt(Math.ceil(q.value ?? 1));
        };
        const layers = `sends p99 ${p99Of('orchestrator')} · client requests p99 ${p99Of('client')}`;
        if (p99.count === 0) return reading(undefined, 'no effects settled', layers, 'idle');
        // Attempts are whole numbers: interpolating inside a bucket would show 1.5 attempts.
        const worst = Math.ceil(p99.value ?? 1);
        const mean =
          totalIncrease(now, before, `${M.effectAttempts}_sum`, downstream) /
          Math.max(1, totalIncrease(now, before, `${M.effectAttempts}_count`, downstream));
        const why = increase(now, before, M.effectArrivals, 'cause');
        return reading(
          worst,
          `p99 ${worst} arrivals`,
          `mean ${fmt(mean, 2)} · ${p99.count} effects · ${list(why) || 'no arrivals'} · ${layers}`,
          worst > 3 ? 'warn' : 'ok',
        );
      },
    },
  ],
};

export const idempotencyRow: RowSpec = {
  seam: 'Idempotency',
  panels: [
    {
      id: 'duplicate-effects',
      question: 'Did anything take effect twice?',
      read(now) {
        const dup = sum(counterTotal(now, M.duplicateEffects));
        return reading(
          dup,
          dup === 0 ? 'no' : `YES: ${fmt(dup)}`,
          'must stay 0',
          dup > 0 ? 'bad' : 'ok',
        );
      },
    },
    {
      id: 'dedup-hits',
      question: 'How many duplicate deliveries were absorbed?',
      read(now, before) {
        const recent = totalIncrease(now, before, M.dedupHits);
        const total = new Map<string, number>();
        for (const s of gaugeSamples(now, M.dedupHits)) {
          const k = `${s.labels['service'] ?? '?'}/${s.labels['operation'] ?? '?'}`;
          total.set(k, (total.get(k) ?? 0) + s.value);
        }
        return reading(
          recent,
          `${fmt(recent)} in window`,
          `since start: ${list(total) || '0'}`,
          'ok',
        );
      },
    },
  ],
};

export const sagasRow: RowSpec = {
  seam: 'Sagas',
  panels: [
    {
      id: 'saga-outcomes',
      question: 'Are sagas finishing or stuck?',
      read(now, before) {
        const dt = seconds(now, before);
        const by = increase(now, before, M.sagaOutcomes, 'outcome');
        const done = sum(by) / dt;
        const inFlight = max(gaugeMax(now, M.sagasInFlight)) ?? 0;
        const stuck = max(gaugeMax(now, M.sagasStuck)) ?? 0;
        return reading(
          done,
          `${perSec(done)} finishing`,
          `completed ${fmt(by.get('completed') ?? 0)} · cancelled ${fmt(by.get('cancelled') ?? 0)} · in flight ${fmt(inFlight)} · stuck ${fmt(stuck)}`,
          stuck > 0 ? 'bad' : 'ok',
        );
      },
    },
    {
      id: 'cancel-reasons',
      question: 'Why are sagas cancelled?',
      read(now, before) {
        const recent = totalIncrease(now, before, M.sagaOutcomes, { outcome: 'cancelled' });
        const total = counterTotal(now, M.sagaOutcomes, 'reason', { outcome: 'cancelled' });
        return reading(recent, `${fmt(recent)} in window`, list(total) || 'none yet', 'ok');
      },
    },
    {
      id: 'saga-duration',
      question: 'How long does a saga take?',
      read(now, before) {
        const p99 = quantileBetween(now, before, 0.99, M.sagaDuration);
        if (p99.count === 0) return reading(undefined, 'no sagas', '', 'idle');
        const p50 = quantileBetween(now, before, 0.5, M.sagaDuration).value;
        return reading(
          p99.value,
          `p99 ${ms(p99.value)}`,
          `p50 ${ms(p50)} · ${p99.count} sagas`,
          'ok',
        );
      },
    },
  ],
};

export const httpRow: RowSpec = {
  seam: 'HTTP edge',
  panels: [
    {
      id: 'http-requests',
      question: 'Is the API answering, and how?',
      read(now, before) {
        const dt = seconds(now, before);
        const byStatus = increase(now, before, M.httpRequests, 'status');
        const classes = new Map<string, number>();
        for (const [status, n] of byStatus) {
          const k = `${status.slice(0, 1)}xx`;
          classes.set(k, (classes.get(k) ?? 0) + n / dt);
        }
        const all = sum(classes);
        const errors = classes.get('5xx') ?? 0;
        return reading(all, perSec(all), list(classes, perSec), errors > 0 ? 'warn' : 'ok');
      },
    },
    {
      id: 'http-p99',
      question: 'Is the API fast?',
      read(now, before) {
        const p99 = quantileBetween(now, before, 0.99, M.httpRequestDuration);
        if (p99.count === 0) return reading(undefined, 'no requests', '', 'idle');
        return reading(p99.value, `p99 ${ms(p99.value)}`, `${p99.count} requests`, 'ok');
      },
    },
    {
      id: 'http-shed',
      question: 'Are we shedding requests?',
      read(now, before) {
        const shed = totalIncrease(now, before, M.httpShed) / seconds(now, before);
        return reading(shed, `${perSec(shed)} shed`, '429 at capacity', shed > 0 ? 'warn' : 'ok');
      },
    },
  ],
};
