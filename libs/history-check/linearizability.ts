import type { Operation, Value } from './history.ts';
import { describeOp, partitionByKey } from './history.ts';
import { relevantOps, stateKey, stepRegister } from './register-model.ts';

/**
 * Linearizability of keyed registers by the Wing-Gong-Lowe search, with the pruning Porcupine
 * uses: registers are independent, so each key is checked alone; configurations already
 * visited (the set of operations linearized so far, and the register's value) are memoised; and
 * the history is a doubly linked list of call and return entries, so that linearizing an
 * operation (lifting its two entries out) and undoing it (putting them back) are O(1).
 *
 * The search walks the entries in time order. At a call it tries to take that operation's
 * effect now; at a return it has found an operation that must already have taken effect but was
 * not placed, so it undoes the last choice. An `info` operation's return is at +infinity: reaching
 * it means every operation with a known outcome has been placed, and the remaining unknown ones
 * never took effect, which is allowed.
 */

export type Verdict = 'ok' | 'violation' | 'unknown';

export interface LinearizabilityOptions {
  /** The value of every register before the history. @default null */
  readonly initial?: Value;
  /** Search steps allowed per key; past it the key is `unknown`, never a hang. @default 2_000_000 */
  readonly stepBudget?: number;
}

export interface Explanation {
  /** The longest sequence of operations the search could linearize, in linearization order. */
  readonly longestPrefix: readonly Operation[];
  /** An operation that had to take effect after that prefix, and could not. */
  readonly stuck: Operation | undefined;
  readonly message: string;
}

export interface KeyVerdict {
  readonly key: string;
  readonly verdict: Verdict;
  readonly operations: number;
  readonly steps: number;
  readonly explanation?: Explanation;
}

export interface LinearizabilityResult {
  /** `violation` if any key has one, else `unknown` if any key ran out of budget, else `ok`. */
  readonly verdict: Verdict;
  readonly keys: readonly KeyVerdict[];
}

export function checkLinearizable(
  ops: readonly Operation[],
  options: LinearizabilityOptions = {},
): LinearizabilityResult {
  const keys = [...partitionByKey(ops)]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, keyOps]) => checkKey(key, keyOps, options));
  return { verdict: overall(keys.map((k) => k.verdict)), keys };
}

export function overall(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.includes('violation')) return 'violation';
  return verdicts.includes('unknown') ? 'unknown' : 'ok';
}

interface Entry {
  readonly op: Operation;
  /** Index of the operation within its key, its bit in the linearized set. */
  readonly index: number;
  readonly time: number;
  readonly isCall: boolean;
  /** For a call, its return entry. */
  match: Entry | undefined;
  prev: Entry | undefined;
  next: Entry | undefined;
}

function checkKey(
  key: string,
  keyOps: readonly Operation[],
  options: LinearizabilityOptions,
): KeyVerdict {
  const ops = relevantOps(keyOps);
  const budget = options.stepBudget ?? 2_000_000;
  const head = buildList(ops);
  const linearized = new Uint32Array(Math.ceil(ops.length / 32) + 1);
  const seen = new Set<string>();
  const stack: { entry: Entry; state: Value }[] = [];
  let state: Value = options.initial ?? null;
  let steps = 0;
  let best: Operation[] = [];
  let stuck: Operation | undefined;

  let entry = head.next;
  while (head.next !== undefined && entry !== undefined) {
    if (++steps > budget) return { key, verdict: 'unknown', operations: ops.length, steps };
    if (entry.isCall) {
      const next = stepRegister(state, entry.op);
      if (next !== undefined) {
        flip(linearized, entry.index);
        const memo = `${linearized.join(',')}|${stateKey(next.state)}`;
        if (!seen.has(memo)) {
          seen.add(memo);
          stack.push({ entry, state });
          state = next.state;
          lift(entry);
          if (stack.length > best.length) {
            best = stack.map((s) => s.entry.op);
            stuck = undefined;
          }
          entry = head.next;
          continue;
        }
        flip(linearized, entry.index);
      }
      entry = entry.next;
      continue;
    }
    // A return whose operation was never placed: everything still listed is unknown-outcome.
    if (entry.op.outcome === 'info') break;
    if (stack.length === best.length && stuck === undefined) stuck = entry.op;
    const top = stack.pop();
    if (top === undefined) {
      return {
        key,
        verdict: 'violation',
        operations: ops.length,
        steps,
        explanation: explain(best, stuck, options.initial ?? null),
      };
    }
    state = top.state;
    flip(linearized, top.entry.index);
    unlift(top.entry);
    entry = top.entry.next;
  }
  return { key, verdict: 'ok', operations: ops.length, steps };
}

function explain(
  best: readonly Operation[],
  stuck: Operation | undefined,
  initial: Value,
): Explanation {
  let value = initial;
  for (const op of best) value = stepRegister(value, op)?.state ?? value;
  const prefix =
    best.length === 0
      ? 'no operation'
      : `${best.length} operation(s) ending with ${describeOp(best[best.length - 1]!)}`;
  const message =
    stuck === undefined
      ? `not linearizable: the longest linearizable prefix has ${prefix}`
      : `not linearizable: after ${prefix} (register = ${JSON.stringify(value)}), ${describeOp(stuck)} had to take effect next (before it completed) and could not; no other order gets further`;
  return { longestPrefix: best, stuck, message };
}

/** The list head's placeholder; never stepped. */
const SENTINEL: Operation = {
  id: -1,
  process: '',
  key: '',
  kind: 'read',
  value: null,
  invoke: -Infinity,
  complete: -Infinity,
  outcome: 'fail',
};

function buildList(ops: readonly Operation[]): Entry {
  const entries: Entry[] = [];
  ops.forEach((op, index) => {
    const call: Entry = {
      op,
      index,
      time: op.invoke,
      isCall: true,
      match: undefined,
      prev: undefined,
      next: undefined,
    };
    const ret: Entry = {
      op,
      index,
      time: op.complete,
      isCall: false,
      match: undefined,
      prev: undefined,
      next: undefined,
    };
    call.match = ret;
    entries.push(call, ret);
  });
  // At equal times calls go first: touching intervals count as overlapping, the lenient reading.
  entries.sort(
    (a, b) => a.time - b.time || (a.isCall === b.isCall ? a.op.id - b.op.id : a.isCall ? -1 : 1),
  );
  const head: Entry = {
    op: SENTINEL,
    index: -1,
    time: -Infinity,
    isCall: false,
    match: undefined,
    prev: undefined,
    next: undefined,
  };
  let last = head;
  for (const e of entries) {
    last.next = e;
    e.prev = last;
    last = e;
  }
  return head;
}

/** Takes a call and its return out of the list. */
function lift(call: Entry): void {
  const ret = call.match!;
  call.prev!.next = call.next;
  if (call.next !== undefined) call.next.prev = call.prev;
  ret.prev!.next = ret.next;
  if (ret.next !== undefined) ret.next.prev = ret.prev;
}

/** Puts back what {@link lift} took out; the entries still point at their old neighbours. */
function unlift(call: Entry): void {
  const ret = call.match!;
  ret.prev!.next = ret;
  if (ret.next !== undefined) ret.next.prev = ret;
  call.prev!.next = call;
  if (call.next !== undefined) call.next.prev = call;
}

function flip(bits: Uint32Array, index: number): void {
  const word = index >>> 5;
  bits[word] = bits[word]! ^ (1 << (index & 31));
}
