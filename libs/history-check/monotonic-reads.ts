/**
 * Monotonic reads over a progress order: a client that saw one state of a record must never
 * see an earlier one afterwards. The order is given as the allowed transitions of a state
 * machine (for orders: PENDING -> COMPENSATING -> CANCELLED, PENDING -> COMPLETED); a later
 * read may repeat the state or show any state reachable from it, nothing else. Reads of one
 * client are taken in the order it issued them (a client is sequential).
 */

export interface Observation {
  readonly process: string;
  readonly key: string;
  readonly state: string;
  /** When the read was issued; orders a client's reads. */
  readonly invoke: number;
}

export interface MonotonicViolation {
  readonly process: string;
  readonly key: string;
  readonly earlier: Observation;
  readonly later: Observation;
  readonly message: string;
}

export interface MonotonicResult {
  readonly verdict: 'ok' | 'violation';
  readonly violations: readonly MonotonicViolation[];
  readonly observations: number;
}

export function checkMonotonicReads(
  observations: readonly Observation[],
  transitions: Readonly<Record<string, readonly string[]>>,
): MonotonicResult {
  const reach = reachability(transitions);
  const last = new Map<string, Observation>();
  const violations: MonotonicViolation[] = [];
  const ordered = [...observations].sort((a, b) => a.invoke - b.invoke);
  for (const obs of ordered) {
    const slot = `${obs.process}\u0000${obs.key}`;
    const prev = last.get(slot);
    if (prev !== undefined && prev.state !== obs.state && !reach.get(prev.state)?.has(obs.state)) {
      violations.push({
        process: obs.process,
        key: obs.key,
        earlier: prev,
        later: obs,
        message: `${obs.process} read ${obs.key} as ${prev.state} (at ${prev.invoke}) and later as ${obs.state} (at ${obs.invoke}), which does not follow it`,
      });
      // Keep the furthest state seen: a client that went back must still not go back again.
      continue;
    }
    last.set(slot, obs);
  }
  return {
    verdict: violations.length > 0 ? 'violation' : 'ok',
    violations,
    observations: observations.length,
  };
}

/** For each state, every state reachable from it in one or more transitions. */
function reachability(
  transitions: Readonly<Record<string, readonly string[]>>,
): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const start of Object.keys(transitions)) {
    const seen = new Set<string>();
    const todo = [...(transitions[start] ?? [])];
    while (todo.length > 0) {
      const s = todo.pop()!;
      if (seen.has(s)) continue;
      seen.add(s);
      todo.push(...(transitions[s] ?? []));
    }
    out.set(start, seen);
  }
  return out;
}
