import type { Operation, Value } from './history.ts';

/**
 * The sequential specification of one register: what applying an operation to a state yields,
 * or `undefined` when the operation cannot happen in that state (a read of another value, a
 * swap reported as applied although the register held something else).
 */
export function stepRegister(state: Value, op: Operation): { state: Value } | undefined {
  switch (op.kind) {
    case 'write':
      return { state: op.value };
    case 'read':
      return op.value === state ? { state } : undefined;
    case 'cas': {
      const matches = state === (op.expected ?? null);
      // An unknown-outcome swap can only have taken effect by applying.
      const swapped = op.outcome === 'info' ? true : (op.swapped ?? true);
      if (swapped) return matches ? { state: op.value } : undefined;
      return matches ? undefined : { state };
    }
  }
}

/**
 * Operations that constrain a register: failed ones took no effect, and an unknown read says
 * nothing. An unknown-outcome write whose value nobody observed (no read returned it, no
 * swap that may have applied expected it) is dropped too: if it took effect, no operation saw the register
 * hold its value, so the same order without it is also legal. Each such write would otherwise
 * stay concurrent with the rest of the history and multiply the states to search. Not when a
 * swap found another value than it expected: any value satisfies that, an unobserved one too.
 * Call it with the operations of one key.
 */
export function relevantOps(ops: readonly Operation[]): Operation[] {
  const observed = new Set<Value>();
  const refusedSwap = ops.some(
    (op) => op.kind === 'cas' && op.outcome === 'ok' && op.swapped === false,
  );
  for (const op of ops) {
    // A swap that may have applied (unknown outcome) saw its expected value when it did.
    if (op.kind === 'cas' && op.outcome !== 'fail') observed.add(op.expected ?? null);
    else if (op.kind === 'read' && op.outcome === 'ok') observed.add(op.value);
  }
  return ops.filter(
    (op) =>
      op.outcome === 'ok' ||
      (op.outcome === 'info' && op.kind !== 'read' && (refusedSwap || observed.has(op.value))),
  );
}

/** A canonical string of a state, for memoising visited configurations. */
export function stateKey(state: Value): string {
  return typeof state === 'string' ? `s${state}` : `p${String(state)}`;
}
