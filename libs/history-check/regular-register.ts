import type { Operation, Value } from './history.ts';
import { describeOp, partitionByKey } from './history.ts';
import type { Verdict } from './linearizability.ts';
import { overall } from './linearizability.ts';

/**
 * The regular-register check, for stores that promise less than linearizability (the quorum
 * store's default `quorum` mode, see docs/reliability.md): every read returns the value of a
 * write that
 *
 * - began before the read ended (no value from the future), and
 * - was not overwritten before the read began: no other write began after it completed and
 *   completed before the read began.
 *
 * or the initial value when no write completed before the read began. Reads may see concurrent
 * writes in any order, and two reads may disagree on which of two concurrent writes came last
 * (new-then-old inversions are allowed); that is the difference from linearizability.
 *
 * Read-your-writes for a sequential client follows: its own completed write precedes its next
 * read, so any value that write overwrote is stale for that read. Such violations are reported
 * as `read-your-writes`. An `info` write may take effect at any time, so it never overwrites
 * anything for the purpose of this check and stays a candidate for every later read.
 */

export type RegularViolationKind = 'stale-read' | 'read-your-writes' | 'phantom-read';

export interface RegularViolation {
  readonly kind: RegularViolationKind;
  readonly read: Operation;
  /** The write that made the value stale (absent for a phantom read). */
  readonly overwrittenBy?: Operation;
  readonly message: string;
}

export interface RegularResult {
  readonly verdict: Exclude<Verdict, 'unknown'>;
  readonly violations: readonly RegularViolation[];
  readonly readsChecked: number;
}

export interface RegularOptions {
  /** @default null */
  readonly initial?: Value;
}

export function checkRegular(
  ops: readonly Operation[],
  options: RegularOptions = {},
): RegularResult {
  const violations: RegularViolation[] = [];
  let readsChecked = 0;
  for (const keyOps of partitionByKey(ops).values()) {
    const writes = keyOps.filter(
      (op) =>
        op.kind !== 'read' &&
        (op.outcome === 'info' || (op.outcome === 'ok' && op.swapped !== false)),
    );
    for (const read of keyOps) {
      if (read.kind !== 'read' || read.outcome !== 'ok') continue;
      readsChecked += 1;
      const v = checkRead(read, writes, options.initial ?? null);
      if (v !== undefined) violations.push(v);
    }
  }
  return {
    verdict: overall(violations.length > 0 ? ['violation'] : ['ok']) as 'ok' | 'violation',
    violations,
    readsChecked,
  };
}

function checkRead(
  read: Operation,
  writes: readonly Operation[],
  initial: Value,
): RegularViolation | undefined {
  // Writes that completed before the read began: any of them overwrites whatever was
  // completed before it began.
  const before = writes.filter((w) => w.complete < read.invoke);
  // Prefer the reader's own write: that violation is a broken read-your-writes.
  const overwriter = (completedAt: number): Operation | undefined => {
    const later = before.filter((w) => w.invoke > completedAt);
    return later.find((w) => w.process === read.process) ?? later[0];
  };
  let reason: Operation | undefined;
  if (read.value === initial) {
    // The initial value is a write that completed before everything began.
    const by = overwriter(-Infinity);
    if (by === undefined) return undefined;
    reason = by;
  }
  const candidates = writes.filter((w) => w.value === read.value && w.invoke < read.complete);
  for (const w of candidates) {
    const by = overwriter(w.complete);
    if (by === undefined) return undefined;
    reason ??= by;
  }
  if (reason === undefined) {
    return {
      kind: 'phantom-read',
      read,
      message: `${describeOp(read)} returned a value no write had begun to write before the read ended`,
    };
  }
  const kind = reason.process === read.process ? 'read-your-writes' : 'stale-read';
  return {
    kind,
    read,
    overwrittenBy: reason,
    message: `${describeOp(read)} returned a value overwritten before it began by ${describeOp(reason)}`,
  };
}
