/**
 * The history model: operations on keyed registers as clients saw them. Each operation was
 * invoked at one instant and completed at a later one with one of three outcomes:
 *
 * - `ok`: it took effect (a read returned `value`);
 * - `fail`: it provably took no effect (a read that failed says nothing and is dropped);
 * - `info`: its outcome is unknown. It may or may not have taken effect, and if it did, the
 *   effect may appear at any time after its invocation: its completion is at +infinity.
 *
 * Times are any monotonic numbers (a logical counter, `performance.now()`); only their order
 * matters. Two operations of one process never overlap.
 */

/** Register values are compared by identity, so they must be primitives (encode objects first). */
export type Value = string | number | boolean | null;

export type OpKind = 'read' | 'write' | 'cas';
export type Outcome = 'ok' | 'fail' | 'info';

export interface Operation {
  /** Unique within the history; reported in explanations. */
  readonly id: number;
  /** The client (process) that issued it. */
  readonly process: string;
  readonly key: string;
  readonly kind: OpKind;
  /**
   * write: the value written; read: the value returned (meaningless unless `ok`);
   * cas: the new value.
   */
  readonly value: Value;
  /** cas only: the value the register must hold for the swap to apply. */
  readonly expected?: Value;
  /** cas only, when `ok`: whether the swap applied (false: it found another value, no effect). */
  readonly swapped?: boolean;
  readonly invoke: number;
  /** +Infinity for `info`. */
  readonly complete: number;
  readonly outcome: Outcome;
}

/** One line of an ordered event log, the other way to write a history down. */
export type HistoryEvent =
  | {
      readonly type: 'invoke';
      readonly process: string;
      readonly key: string;
      readonly kind: OpKind;
      /** write/cas: the value to write; read: ignored. */
      readonly value?: Value;
      readonly expected?: Value;
    }
  | {
      readonly type: 'ok';
      readonly process: string;
      /** read: the value returned. */
      readonly value?: Value;
      /** cas: whether it swapped. @default true */
      readonly swapped?: boolean;
    }
  | { readonly type: 'fail' | 'info'; readonly process: string };

/**
 * Builds operations from an ordered event log: each completion closes the open invocation of
 * its process, and the position in the log is the time. Invocations never closed become `info`.
 */
export function fromEvents(events: readonly HistoryEvent[]): Operation[] {
  const open = new Map<string, { at: number; event: Extract<HistoryEvent, { type: 'invoke' }> }>();
  const ops: Operation[] = [];
  const close = (
    process: string,
    at: number,
    outcome: Outcome,
    read?: Value,
    swapped?: boolean,
  ): void => {
    const started = open.get(process);
    if (started === undefined) throw new Error(`event ${at}: ${process} completes nothing`);
    open.delete(process);
    const e = started.event;
    ops.push({
      id: ops.length,
      process,
      key: e.key,
      kind: e.kind,
      value: e.kind === 'read' ? (read ?? null) : (e.value ?? null),
      ...(e.kind === 'cas'
        ? {
            expected: e.expected ?? null,
            ...(outcome === 'ok' ? { swapped: swapped ?? true } : {}),
          }
        : {}),
      invoke: started.at,
      complete: outcome === 'info' ? Infinity : at,
      outcome,
    });
  };
  events.forEach((e, at) => {
    if (e.type === 'invoke') {
      if (open.has(e.process)) throw new Error(`event ${at}: ${e.process} already has an open op`);
      open.set(e.process, { at, event: e });
    } else if (e.type === 'ok') {
      close(e.process, at, 'ok', e.value, e.swapped);
    } else {
      close(e.process, at, e.type);
    }
  });
  for (const process of [...open.keys()]) close(process, events.length, 'info');
  return ops;
}

/** Operations grouped per key; registers are independent, so each key is checked alone. */
export function partitionByKey(ops: readonly Operation[]): Map<string, Operation[]> {
  const byKey = new Map<string, Operation[]>();
  for (const op of ops) {
    const list = byKey.get(op.key);
    if (list === undefined) byKey.set(op.key, [op]);
    else list.push(op);
  }
  return byKey;
}

/** A short, stable description of an operation for explanations and test output. */
export function describeOp(op: Operation): string {
  const v = JSON.stringify(op.value);
  const what =
    op.kind === 'read'
      ? `read ${op.key} -> ${op.outcome === 'ok' ? v : '?'}`
      : op.kind === 'write'
        ? `write ${op.key} := ${v}`
        : `cas ${op.key} ${JSON.stringify(op.expected)} -> ${v}${op.swapped === false ? ' (no swap)' : ''}`;
  const end = Number.isFinite(op.complete) ? String(op.complete) : 'inf';
  return `#${op.id} ${op.process} ${what} [${op.invoke}, ${end}] ${op.outcome}`;
}
