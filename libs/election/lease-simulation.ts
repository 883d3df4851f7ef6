import { LeaseCandidate } from './lease-candidate.ts';
import type { LeaseRecord } from './lease-record.ts';
import type { LeaseTiming } from './lease-timing.ts';

// A seeded discrete-event world for LeaseCandidate: one compare-and-set register standing
// in for the KV key, nodes whose clocks run at different rates, network delays, pauses
// (SIGSTOP-like: nothing runs, messages queue) and crashes. Test support for the property
// tests; not part of the public entry.

export interface SimNode {
  /** Local clock = offset + rate x real time. */
  offset: number;
  rate: number;
  /** Real-time intervals during which the node is frozen. */
  pauses: { from: number; to: number }[];
  /** Real time after which the node never runs again. */
  crashAt?: number;
}

export interface SimScenario {
  timing: LeaseTiming;
  nodes: SimNode[];
  /** Random source in [0, 1) for delays; seeded by the test. */
  random: () => number;
  /** Network delay bounds, ms. */
  writeDelayMs: number;
  watchDelayMs: number;
  durationMs: number;
  /**
   * Share of writes whose reply is an error of unknown outcome (a timeout): half of them did
   * apply, half did not; the writer cannot tell which. @default 0
   */
  unknownOutcomeRate?: number;
  /** Real time after which no write has an unknown outcome any more. @default Infinity */
  unknownOutcomeUntilMs?: number;
  /**
   * Share of watch deliveries served by a replica that diverged from the stream leader: the
   * node is told of a revision the register never holds (nats-server 2.9.10 after a node was
   * killed, ADR 0005) instead of the real one. @default 0
   */
  divergedWatchRate?: number;
  /** Real time after which every watch delivery is true again. @default Infinity */
  divergedWatchUntilMs?: number;
}

export interface SimReport {
  /** Real instants at which two or more nodes believed they led, with who. */
  overlaps: { at: number; leaders: number[] }[];
  /** Tokens in the real-time order they were handed out by elections. */
  electedTokens: number[];
  /** Revision of every write that acquired the lease, in order. */
  acquisitionRevisions: number[];
  /** Who believes it leads at the end (crashed nodes excluded). */
  leadersAtEnd: number[];
  /** Last real time any fault (pause end, crash) happened. */
  lastFaultAt: number;
}

type Msg =
  | { kind: 'entry'; revision: number; record: LeaseRecord | null }
  /** The register read through the stream leader, after a refused campaign. */
  | { kind: 'read'; revision: number | null; record: LeaseRecord | null }
  | { kind: 'reply'; ok: true; revision: number }
  | { kind: 'reply'; ok: false; conflict: boolean };

interface Ev {
  at: number;
  seq: number;
  run: () => void;
}

export function simulate(s: SimScenario): SimReport {
  const queue: Ev[] = [];
  let seq = 0;
  let queueNow = 0;
  const at = (time: number, run: () => void) => {
    queue.push({ at: time, seq: seq++, run });
  };
  const kv = {
    revision: 0,
    current: null as { revision: number; record: LeaseRecord | null } | null,
  };
  const candidates = s.nodes.map((_, i) => new LeaseCandidate(`node-${i}`, s.timing));
  const inbox: { at: number; msg: Msg }[][] = s.nodes.map(() => []);
  const lastWatchAt = s.nodes.map(() => 0);
  // One live timer per node, like a real process re-arming its single timeout.
  const timerId = s.nodes.map(() => 0);
  const report: SimReport = {
    overlaps: [],
    electedTokens: [],
    acquisitionRevisions: [],
    leadersAtEnd: [],
    lastFaultAt: 0,
  };
  const local = (i: number, t: number) => {
    const n = s.nodes[i] as SimNode;
    return n.offset + n.rate * t;
  };
  const realAt = (i: number, localTime: number) => {
    const n = s.nodes[i] as SimNode;
    return (localTime - n.offset) / n.rate;
  };
  const crashed = (i: number, t: number) => t >= (s.nodes[i]?.crashAt ?? Infinity);
  const pauseEnd = (i: number, t: number) =>
    s.nodes[i]?.pauses.find((p) => t >= p.from && t < p.to)?.to ?? null;

  const deliver = (i: number, time: number, msg: Msg) => {
    inbox[i]?.push({ at: time, msg });
    at(time, () => step(i, time));
  };

  const write = (i: number, t: number, expected: number | null, record: LeaseRecord) => {
    at(t + s.random() * s.writeDelayMs, () => {
      const cur = kv.current;
      const ok =
        expected === null
          ? cur === null || cur.record === null
          : cur !== null && cur.revision === expected;
      const reply = (now: number, msg: Msg) => deliver(i, now + s.random() * s.writeDelayMs, msg);
      const now = queueNow;
      const unknown =
        now < (s.unknownOutcomeUntilMs ?? Infinity) && s.random() < (s.unknownOutcomeRate ?? 0);
      if (unknown) report.lastFaultAt = Math.max(report.lastFaultAt, now);
      const unknownApplied = unknown && s.random() < 0.5;
      if (unknown && !unknownApplied)
        return reply(now, { kind: 'reply', ok: false, conflict: false });
      if (!ok) return reply(now, { kind: 'reply', ok: false, conflict: !unknown });
      kv.revision += 1;
      kv.current = { revision: kv.revision, record };
      if (record.token === undefined) report.acquisitionRevisions.push(kv.revision);
      const divergedRate =
        now < (s.divergedWatchUntilMs ?? Infinity) ? (s.divergedWatchRate ?? 0) : 0;
      for (let j = 0; j < s.nodes.length; j++) {
        // A watch delivers in order: never before the previous delivery to the same node.
        const when = Math.max(lastWatchAt[j] ?? 0, now + s.random() * s.watchDelayMs);
        lastWatchAt[j] = when;
        // Far ahead of anything the register reaches in a run: never the revision of a real write.
        const diverged = divergedRate > 0 && s.random() < divergedRate;
        if (diverged) report.lastFaultAt = Math.max(report.lastFaultAt, now);
        const revision = diverged ? kv.revision + 1_000_000 : kv.revision;
        deliver(j, when, { kind: 'entry', revision, record });
      }
      reply(
        now,
        unknownApplied
          ? { kind: 'reply', ok: false, conflict: false }
          : { kind: 'reply', ok: true, revision: kv.revision },
      );
    });
  };

  const step = (i: number, t: number) => {
    if (crashed(i, t)) return;
    const resume = pauseEnd(i, t);
    if (resume !== null) return at(resume, () => step(i, resume));
    const c = candidates[i] as LeaseCandidate;
    const now = local(i, t);
    const box = inbox[i] as { at: number; msg: Msg }[];
    box.sort((a, b) => a.at - b.at);
    while (box.length > 0 && (box[0]?.at ?? Infinity) <= t) {
      const { msg } = box.shift() as { at: number; msg: Msg };
      if (msg.kind === 'entry') c.observe(msg.revision, msg.record, now);
      else if (msg.kind === 'read') c.correct(msg.revision, msg.record, now);
      else if (msg.ok) {
        const outcome = c.writeSucceeded(msg.revision, now);
        if (outcome.kind === 'elected') report.electedTokens.push(outcome.token);
      } else if (c.writeFailed(now, msg.conflict) === null && msg.conflict) {
        // As LeaderElection does: a refused campaign re-reads the key through the leader.
        at(t + s.random() * s.writeDelayMs, () => {
          const cur = kv.current;
          deliver(i, queueNow + s.random() * s.writeDelayMs, {
            kind: 'read',
            revision: cur?.revision ?? null,
            record: cur?.record ?? null,
          });
        });
      }
    }
    c.checkExpiry(now);
    const action = c.decide(now);
    if (action.kind === 'create') write(i, t, null, action.record);
    else if (action.kind === 'update') write(i, t, action.expectedRevision, action.record);
    else if (action.kind === 'wait') {
      const wake = Math.max(t, realAt(i, action.until)) + 1e-6;
      const id = (timerId[i] ?? 0) + 1;
      timerId[i] = id;
      at(wake, () => {
        if (timerId[i] === id) step(i, wake);
      });
    }
  };

  s.nodes.forEach((n, i) => {
    for (const p of n.pauses) report.lastFaultAt = Math.max(report.lastFaultAt, p.to);
    if (n.crashAt !== undefined) report.lastFaultAt = Math.max(report.lastFaultAt, n.crashAt);
    at(0, () => step(i, 0));
  });

  while (queue.length > 0) {
    queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const ev = queue.shift() as Ev;
    if (ev.at > s.durationMs) break;
    queueNow = ev.at;
    ev.run();
    // Beliefs only end between events, so checking after each event catches every overlap.
    const leaders = candidates
      .map((c, i) => (!crashed(i, ev.at) && c.isLeader(local(i, ev.at)) ? i : -1))
      .filter((i) => i >= 0);
    if (leaders.length > 1) report.overlaps.push({ at: ev.at, leaders });
  }
  report.leadersAtEnd = candidates
    .map((c, i) => (!crashed(i, s.durationMs) && c.isLeader(local(i, s.durationMs)) ? i : -1))
    .filter((i) => i >= 0);
  return report;
}
