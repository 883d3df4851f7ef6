import type { OpKind, Operation, Outcome, Value } from './history.ts';

export interface RecorderOptions {
  /**
   * The time stamped on invocations and completions. Only the order of the stamps matters, so
   * the default is a logical counter: in one process it orders events exactly as they happened.
   * @default a counter that increments on every event
   */
  readonly clock?: () => number;
}

/** The open operation {@link HistoryRecorder.invoke} returns; complete it exactly once. */
export interface PendingOp {
  /** It took effect; for a read, `read` is the value returned. */
  ok(read?: Value, swapped?: boolean): void;
  /** It provably took no effect. */
  fail(): void;
  /** Its outcome is unknown: it may have taken effect, now or at any later time. */
  info(): void;
}

/**
 * Records what clients invoked and saw, from outside the system under test. Stamp the
 * invocation immediately before the request is sent and the completion immediately after its
 * answer arrives, so that the recorded interval contains the real one.
 */
export class HistoryRecorder {
  private readonly ops: Operation[] = [];
  private readonly open = new Set<number>();
  private readonly clock: () => number;
  private tick = 0;

  constructor(options: RecorderOptions = {}) {
    this.clock = options.clock ?? (() => ++this.tick);
  }

  invoke(op: {
    process: string;
    key: string;
    kind: OpKind;
    value?: Value;
    expected?: Value;
  }): PendingOp {
    const id = this.ops.length;
    const invoke = this.clock();
    this.ops.push({
      id,
      process: op.process,
      key: op.key,
      kind: op.kind,
      value: op.value ?? null,
      ...(op.kind === 'cas' ? { expected: op.expected ?? null } : {}),
      invoke,
      complete: Infinity,
      outcome: 'info',
    });
    this.open.add(id);
    const finish = (outcome: Outcome, read?: Value, swapped?: boolean): void => {
      if (!this.open.delete(id)) throw new Error(`operation #${id} completed twice`);
      const started = this.ops[id]!;
      this.ops[id] = {
        ...started,
        ...(started.kind === 'read' ? { value: read ?? null } : {}),
        ...(started.kind === 'cas' && outcome === 'ok' ? { swapped: swapped ?? true } : {}),
        complete: outcome === 'info' ? Infinity : this.clock(),
        outcome,
      };
    };
    return {
      ok: (read, swapped) => finish('ok', read, swapped),
      fail: () => finish('fail'),
      info: () => finish('info'),
    };
  }

  /** Every operation so far; those still open count as `info` (their outcome is unknown). */
  history(): Operation[] {
    return this.ops.map((op) => ({ ...op }));
  }
}
