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

/** Operations that constrain a register: failed ones took no effect, and an unknown read says nothing. */
export function relevantOps(ops: readonly Operation[]): Operation[] {
  return ops.filter((op) => op.outcome === 'ok' || (op.outcome === 'info' && op.kind !== 'read'));
}

/** A canonical string of a state, for memoising visited configurations. */
export function stateKey(state: Value): string {
  return typeof state === 'string' ? `s${state}` : `p${String(state)}`;
}
