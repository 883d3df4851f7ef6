import type { Operation, Value } from '../index.ts';
import { stepRegister } from '../index.ts';

/**
 * The reference answer for small histories: tries every subset of the unknown-outcome
 * operations and every order of the operations consistent with real time, with no pruning and
 * no memo. Exponential; use for at most about eight operations.
 */
export function bruteForceLinearizable(ops: readonly Operation[], initial: Value = null): boolean {
  const must = ops.filter((op) => op.outcome === 'ok');
  const maybe = ops.filter((op) => op.outcome === 'info' && op.kind !== 'read');
  for (let mask = 0; mask < 1 << maybe.length; mask++) {
    const chosen = [...must, ...maybe.filter((_, i) => (mask & (1 << i)) !== 0)];
    if (search(chosen, new Set(), new Map(), initial)) return true;
  }
  return false;
}

function search(
  ops: readonly Operation[],
  placed: ReadonlySet<number>,
  state: ReadonlyMap<string, Value>,
  initial: Value,
): boolean {
  if (placed.size === ops.length) return true;
  const open = ops.filter((op) => !placed.has(op.id));
  for (const op of open) {
    // Real time: nothing still unplaced may have completed before this one began.
    if (open.some((other) => other.complete < op.invoke)) continue;
    const next = stepRegister(state.get(op.key) ?? initial, op);
    if (next === undefined) continue;
    if (
      search(ops, new Set([...placed, op.id]), new Map([...state, [op.key, next.state]]), initial)
    )
      return true;
  }
  return false;
}
