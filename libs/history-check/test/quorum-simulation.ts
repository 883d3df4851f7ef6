import type { Operation, Value } from '../index.ts';

/**
 * A seeded model of a quorum-replicated register without read write-back: N replicas that each
 * keep the highest version they received, writes that complete at W acks (or end unknown when
 * the W-th ack comes after the client's timeout, and still land later), and reads that return
 * the highest version among the first R answers, each answer reflecting its replica at the
 * moment it was read. Versions come from one counter in invocation order (the single writer).
 * With R + W > N this keeps a regular register and can break linearizability; with R + W <= N it
 * breaks both. Independent of the checkers: it only moves messages.
 */
export interface QuorumModel {
  readonly replicas: number;
  readonly writeQuorum: number;
  readonly readQuorum: number;
  readonly clients: number;
  readonly opsPerClient: number;
  readonly keys: number;
}

interface Planned {
  readonly client: number;
  readonly key: string;
  readonly kind: 'read' | 'write';
  readonly invoke: number;
  readonly complete: number;
  readonly outcome: 'ok' | 'info';
  /** write: when each replica applies it; read: when each answering replica was read. */
  readonly at: readonly number[];
  /** read: the replicas whose answers counted. */
  readonly answered: readonly number[];
}

const TIMEOUT = 60;

export function simulateQuorum(random: () => number, m: QuorumModel): Operation[] {
  // Mostly fast, sometimes very slow: a paused replica.
  const delay = (): number => (random() < 0.15 ? 30 + random() * 100 : 1 + random() * 10);
  const planned: Planned[] = [];
  for (let c = 0; c < m.clients; c++) {
    let t = random() * 5;
    for (let n = 0; n < m.opsPerClient; n++) {
      const key = `k${Math.floor(random() * m.keys)}`;
      const kind = random() < 0.4 ? 'write' : 'read';
      const arrivals = Array.from({ length: m.replicas }, (_, r) => {
        const there = delay();
        return { r, there, back: there + delay() };
      }).sort((a, b) => a.back - b.back);
      const quorum = kind === 'write' ? m.writeQuorum : m.readQuorum;
      const done = arrivals[quorum - 1]!.back;
      const outcome = kind === 'write' && done > TIMEOUT ? 'info' : 'ok';
      if (kind === 'read' && done > TIMEOUT) {
        t += TIMEOUT + delay();
        continue; // a failed read says nothing
      }
      const complete = outcome === 'info' ? Infinity : t + done;
      planned.push({
        client: c,
        key,
        kind,
        invoke: t,
        complete,
        outcome,
        at:
          kind === 'write'
            ? Array.from(
                { length: m.replicas },
                (_, r) => t + arrivals.find((a) => a.r === r)!.there,
              )
            : arrivals.slice(0, quorum).map((a) => t + a.there),
        answered: arrivals.slice(0, quorum).map((a) => a.r),
      });
      t = (outcome === 'info' ? t + TIMEOUT : complete) + delay();
    }
  }
  const writes = planned.filter((p) => p.kind === 'write').sort((a, b) => a.invoke - b.invoke);
  const version = new Map(writes.map((w, i) => [w, i + 1]));
  const valueOf = (w: Planned): Value => `v${version.get(w)}`;
  // The highest version a replica holds for a key at a time (it never moves back).
  const held = (replica: number, key: string, time: number): Planned | undefined => {
    let best: Planned | undefined;
    for (const w of writes) {
      if (w.key !== key || w.at[replica]! > time) continue;
      if (best === undefined || version.get(w)! > version.get(best)!) best = w;
    }
    return best;
  };
  return planned
    .sort((a, b) => a.invoke - b.invoke)
    .map((p, id): Operation => {
      let value: Value = null;
      if (p.kind === 'write') value = valueOf(p);
      else {
        let best: Planned | undefined;
        p.answered.forEach((r, i) => {
          const h = held(r, p.key, p.at[i]!);
          if (h !== undefined && (best === undefined || version.get(h)! > version.get(best)!))
            best = h;
        });
        value = best === undefined ? null : valueOf(best);
      }
      return {
        id,
        process: `c${p.client}`,
        key: p.key,
        kind: p.kind,
        value,
        invoke: p.invoke,
        complete: p.complete,
        outcome: p.outcome,
      };
    });
}
