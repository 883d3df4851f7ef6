/**
 * Adapters from the libraries' metric hooks to the fixed Seamline metrics. The libraries only
 * define hook interfaces (they never import prom-client); these objects satisfy them
 * structurally, so every service wires its quorum store, election, bus and idempotent effects
 * the same way.
 */
import type { Logger } from './logger.ts';
import type { ArrivalCause, EffectLayer } from './metric-names.ts';
import { ARRIVAL_CAUSES } from './metric-names.ts';
import type { SeamlineMetrics } from './metrics.ts';

type QuorumOp = 'write' | 'read' | 'install_fence';

/** What the quorum store reports when a replica refuses a write under an older token. */
export interface FencingRejectionEvent {
  readonly domain: string;
  readonly staleToken: number;
  readonly installedToken: number;
  readonly replica: string;
}

/**
 * Quorum-store hooks. With `log`, every fencing rejection is also a warn line carrying both
 * tokens: a fenced writer is the one event an operator must be able to find by grep.
 */
export function quorumMetricsObserver(m: SeamlineMetrics, log?: Logger) {
  return {
    onOperation(op: QuorumOp, mode: string, seconds: number) {
      m.quorumOpDuration.observe({ op, mode }, seconds);
    },
    onReplicaOutcome(op: QuorumOp, _replica: string, outcome: string) {
      m.quorumAcks.inc({ op, outcome });
    },
    onRepair(domain: string, records: number) {
      m.quorumRepairs.inc({ domain }, records);
    },
    onRepairRefused(event: {
      domain: string;
      replica: string;
      installedToken: number;
      batches: readonly { id: string; token: number }[];
    }) {
      m.quorumRepairsRefused.inc({ domain: event.domain });
      log?.warn({ event: 'repair-refused', ...event }, "repair refused by the replica's fence");
    },
    onIndeterminate(op: 'write' | 'install_fence') {
      m.quorumIndeterminate.inc({ op });
    },
    onFencingRejection(event: FencingRejectionEvent) {
      m.fencingRejections.inc({ domain: event.domain });
      log?.warn({ event: 'fencing-rejection', ...event }, 'write rejected by the fence');
    },
    onEjection(replica: string, ejected: boolean) {
      m.replicaEjected.set({ replica }, ejected ? 1 : 0);
    },
    onDivergence(domain: string, records: number) {
      m.replicaDivergence.set({ domain }, records);
    },
  };
}

/**
 * Election hooks. A leader change is a new term seen on the lease, whoever won it, so every
 * replica counts every change (the flapping alert takes the max across replicas).
 */
export function electionMetricsObserver(m: SeamlineMetrics) {
  return {
    onLeaderChange(_name: string, change: { token: number }) {
      m.leaderChanges.inc();
      m.leaderTerm.set(change.token);
    },
    onElected() {
      m.isLeader.set(1);
    },
    onLost() {
      m.isLeader.set(0);
    },
  };
}

/** Bus hooks. */
export function busMetricsObserver(m: SeamlineMetrics) {
  return {
    onDeadLetter(reason: string) {
      m.deadLetters.inc({ reason: deadLetterReason(reason) });
    },
  };
}

/** Idempotent-effect hooks of one receiving service. */
export function idempotencyMetricsObserver(m: SeamlineMetrics, service: string) {
  return {
    onDedupHit(operation: string) {
      m.dedupHits.inc({ service, operation });
    },
  };
}

/**
 * Duplicate-effect detector hook of one effect service: one increment per effect found applied
 * twice (`<orderId>:<kind>`), labelled by its kind. The given operations start at zero, so the
 * dashboard and `increase()` see the first duplicate as a step from 0.
 */
export function duplicateEffectsObserver(
  m: SeamlineMetrics,
  service: string,
  operations: readonly string[] = [],
) {
  for (const operation of operations) m.duplicateEffects.inc({ service, operation }, 0);
  return {
    onDuplicate(operation: string) {
      m.duplicateEffects.inc({ service, operation });
    },
  };
}

/**
 * Attempt-counter hook of one layer: a key's final total, reported when the counter forgets the
 * idle key, is one sample of `seamline_effect_attempts{layer}`. The layer's series start at
 * zero, so a process exposes exactly the layers it counts and rate() sees the first sample.
 */
export function effectAttemptsObserver(m: SeamlineMetrics, layer: EffectLayer) {
  m.effectAttempts.zero({ layer });
  return {
    onForget(_key: string, total: number) {
      m.effectAttempts.observe({ layer }, total);
    },
  };
}

/**
 * Arrival hooks of one receiving service: every command reaching its handler, by cause. The
 * given operations start at zero for every cause, so the first redelivery is a visible step.
 */
export function effectArrivalsObserver(
  m: SeamlineMetrics,
  service: string,
  operations: readonly string[] = [],
) {
  for (const operation of operations) {
    for (const cause of ARRIVAL_CAUSES) m.effectArrivals.inc({ service, operation, cause }, 0);
  }
  return {
    onArrival(operation: string, cause: ArrivalCause) {
      m.effectArrivals.inc({ service, operation, cause });
    },
  };
}

/**
 * Hooks of a periodic anti-entropy pass: a pass that found (and repaired) divergent records, or
 * that failed, is one warn line; a clean pass says nothing (the divergence gauge has it).
 */
export function antiEntropyLogObserver(log: Logger) {
  return {
    onPass(reports: readonly { readonly domain: string; readonly divergent: number }[]) {
      const divergent = reports.filter((r) => r.divergent > 0);
      if (divergent.length > 0) log.warn({ reports: divergent }, 'anti-entropy repaired replicas');
    },
    onError(err: unknown) {
      log.warn({ err: String(err) }, 'anti-entropy pass failed; will retry');
    },
  };
}

/**
 * Dead-letter reasons are free text that can quote subjects and payload issues; the label must
 * stay a small fixed set, so the text is classified and kept only in the dead-letter stream.
 */
function deadLetterReason(reason: string): 'max_deliveries' | 'deadline' | 'malformed' {
  if (/max deliver/i.test(reason)) return 'max_deliveries';
  if (/deadline/i.test(reason)) return 'deadline';
  return 'malformed';
}
