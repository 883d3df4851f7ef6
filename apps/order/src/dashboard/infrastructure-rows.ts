/** The seam rows of the infrastructure: bus, quorum store, leader and fencing. */
import { METRIC_NAMES as M } from '@seamline/observability';
import { gaugeMax, gaugeSamples, increase, max, sum, totalIncrease } from './scrape-math.ts';
import type { RowSpec } from './panel-kit.ts';
import { anyIncrease, fmt, latency, list, reading, WRITE_P99_OBJECTIVE_S } from './panel-kit.ts';

export const busRow: RowSpec = {
  seam: 'Bus',
  panels: [
    {
      id: 'consumer-lag',
      question: 'Is any consumer falling behind?',
      read(now) {
        const lag = gaugeMax(now, M.consumerLag, 'consumer');
        const worst = max(lag);
        if (worst === undefined) return reading(undefined, 'no consumers yet', '', 'idle');
        return reading(worst, `max ${fmt(worst)} msgs`, list(lag), worst > 100 ? 'warn' : 'ok');
      },
    },
    anyIncrease('dead-letters', 'Are messages being dead-lettered?', M.deadLetters, 'reason'),
  ],
};

export const quorumRow: RowSpec = {
  seam: 'Quorum store',
  panels: [
    latency('write-p99', 'Is quorum write p99 within objective?', 'write', {
      objective: WRITE_P99_OBJECTIVE_S,
    }),
    latency('read-p99', 'How slow are quorum reads and fence installs?', 'read', {
      also: 'install_fence',
    }),
    {
      id: 'acks',
      question: 'Are replicas acknowledging?',
      read(now, before) {
        const by = increase(now, before, M.quorumAcks, 'outcome');
        const all = sum(by);
        if (all === 0) return reading(undefined, 'no answers', '', 'idle');
        const acked = (by.get('ack') ?? 0) / all;
        const failed = [...by].filter(([k, v]) => k !== 'ack' && v > 0);
        const detail =
          failed.length === 0 ? `${fmt(all)} answers, all acks` : list(new Map(failed));
        return reading(
          acked * 100,
          `${fmt(acked * 100)}% acked`,
          detail,
          acked < 1 ? 'warn' : 'ok',
        );
      },
    },
    anyIncrease('indeterminate', 'Did any write end indeterminate?', M.quorumIndeterminate, 'op'),
    {
      id: 'ejected',
      question: 'Is any replica ejected?',
      read(now) {
        const byReplica = gaugeMax(now, M.replicaEjected, 'replica');
        const out = [...byReplica].filter(([, v]) => v > 0).map(([k]) => k);
        // The gauge exists per replica once it was first ejected.
        const detail =
          byReplica.size === 0 ? 'none ejected since start' : `${byReplica.size} ejected before`;
        return out.length === 0
          ? reading(0, 'none', detail, 'ok')
          : reading(out.length, `ejected: ${out.join(', ')}`, detail, 'bad');
      },
    },
    {
      id: 'divergence',
      question: 'Are replicas converging?',
      read(now, before) {
        const divergent = max(gaugeMax(now, M.replicaDivergence, 'domain')) ?? 0;
        const repairs = totalIncrease(now, before, M.quorumRepairs);
        return reading(
          divergent,
          `${fmt(divergent)} divergent`,
          `${fmt(repairs)} repairs in window`,
          divergent > 0 ? 'warn' : 'ok',
        );
      },
    },
  ],
};

export const leaderRow: RowSpec = {
  seam: 'Leader & fencing',
  panels: [
    {
      id: 'leader',
      question: 'Who is leader, and under which token?',
      read(now) {
        const leaders = gaugeSamples(now, M.isLeader).filter((s) => s.value === 1);
        const terms = new Map(gaugeSamples(now, M.leaderTerm).map((s) => [s.source, s.value]));
        if (leaders.length === 0) return reading(undefined, 'no leader seen', '', 'warn');
        const text = leaders.map((l) => `${l.source} @${fmt(terms.get(l.source) ?? 0)}`);
        return reading(max(terms), text[0]!, text.slice(1).join(' · '), 'ok');
      },
    },
    {
      id: 'leader-changes',
      question: 'How often does leadership change?',
      read(now, before) {
        const changes = max(increase(now, before, M.leaderChanges, 'source')) ?? 0;
        return reading(changes, `${fmt(changes)} in window`, '', changes > 3 ? 'warn' : 'ok');
      },
    },
    anyIncrease('fencing', 'Did a stale leader try to write?', M.fencingRejections, 'domain'),
  ],
};
