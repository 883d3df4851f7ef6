import type { Operation, Value } from '../index.ts';

/**
 * Histories of a real sequential register under random concurrency: each operation takes effect
 * at one instant between its invocation and its completion, so every history generated is
 * linearizable by construction. Some writes fail without effect; some operations end `info`,
 * and those take effect never, at once, or much later (a write that lands after its client gave
 * up). {@link mutate} then breaks a history in small ways that may or may not make it
 * non-linearizable; a brute-force search says which.
 */
export interface GeneratorOptions {
  readonly processes: number;
  readonly keys: number;
  readonly ops: number;
  /** @default 0.1 */
  readonly infoRate?: number;
  /** @default 0.05 */
  readonly failRate?: number;
  /** @default 0.1 */
  readonly casRate?: number;
}

interface Pending {
  readonly id: number;
  readonly process: string;
  readonly key: string;
  readonly kind: Operation['kind'];
  readonly value: Value;
  readonly expected?: Value;
  readonly invoke: number;
  fate: 'ok' | 'fail' | 'info';
  applied: boolean;
  read?: Value;
  swapped?: boolean;
}

export function generateHistory(random: () => number, o: GeneratorOptions): Operation[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const state = new Map<string, Value>();
  const written = new Map<string, Value[]>();
  const keys = Array.from({ length: o.keys }, (_, i) => `k${i}`);
  const slots: (Pending | undefined)[] = Array.from({ length: o.processes }, () => undefined);
  const generation = Array.from({ length: o.processes }, () => 0);
  const late: Pending[] = [];
  const ops: Operation[] = [];
  let clock = 0;
  let issued = 0;
  let values = 0;

  const apply = (p: Pending): void => {
    const current = state.get(p.key) ?? null;
    if (p.kind === 'read') p.read = current;
    else if (p.kind === 'write') state.set(p.key, p.value);
    else {
      p.swapped = current === p.expected;
      if (p.swapped) state.set(p.key, p.value);
    }
    p.applied = true;
  };
  const finish = (p: Pending, outcome: Operation['outcome']): void => {
    ops.push({
      id: p.id,
      process: p.process,
      key: p.key,
      kind: p.kind,
      value: p.kind === 'read' ? (p.read ?? null) : p.value,
      ...(p.kind === 'cas'
        ? {
            expected: p.expected ?? null,
            ...(outcome === 'ok' ? { swapped: p.swapped ?? false } : {}),
          }
        : {}),
      invoke: p.invoke,
      complete: outcome === 'info' ? Infinity : ++clock,
      outcome,
    });
  };

  while (issued < o.ops || slots.some((s) => s !== undefined)) {
    // A lost operation may land at any moment, or never.
    if (late.length > 0 && random() < 0.1)
      apply(late.splice(Math.floor(random() * late.length), 1)[0]!);
    const i = Math.floor(random() * o.processes);
    const p = slots[i];
    if (p === undefined) {
      if (issued >= o.ops) continue;
      const key = pick(keys);
      const r = random();
      const casRate = o.casRate ?? 0.1;
      const kind: Operation['kind'] = r < casRate ? 'cas' : r < casRate + 0.45 ? 'write' : 'read';
      const value: Value = kind === 'read' ? null : `v${++values}`;
      const seen = written.get(key) ?? [];
      if (kind !== 'read') written.set(key, [...seen, value]);
      const expected =
        kind === 'cas'
          ? random() < 0.6
            ? (state.get(key) ?? null)
            : pick([null, ...seen])
          : undefined;
      const roll = random();
      const fate =
        roll < (o.infoRate ?? 0.1)
          ? 'info'
          : kind !== 'read' && roll < (o.infoRate ?? 0.1) + (o.failRate ?? 0.05)
            ? 'fail'
            : 'ok';
      slots[i] = {
        id: issued++,
        process: `p${i}.${generation[i]}`,
        key,
        kind,
        value,
        ...(expected === undefined ? {} : { expected }),
        invoke: ++clock,
        fate,
        applied: false,
      };
      continue;
    }
    if (p.fate === 'fail') {
      finish(p, 'fail');
      slots[i] = undefined;
    } else if (p.fate === 'info') {
      const r = random();
      if (r < 0.3) apply(p);
      else if (r < 0.7) late.push(p);
      finish(p, 'info');
      // The client gave up; a fresh process takes its place, as a crashed client would be.
      generation[i] = generation[i]! + 1;
      slots[i] = undefined;
    } else if (!p.applied) {
      apply(p);
    } else {
      finish(p, 'ok');
      slots[i] = undefined;
    }
  }
  return ops.sort((a, b) => a.id - b.id);
}

/** One small corruption: a read returns another value, or a write is reported as failed. */
export function mutate(random: () => number, ops: readonly Operation[]): Operation[] {
  const out = ops.map((op) => ({ ...op }));
  const reads = out.filter((op) => op.kind === 'read' && op.outcome === 'ok');
  const writes = out.filter((op) => op.kind !== 'read' && op.outcome !== 'fail');
  if (reads.length > 0 && (writes.length === 0 || random() < 0.75)) {
    const read = reads[Math.floor(random() * reads.length)]!;
    const choices: Value[] = [
      null,
      ...out.filter((op) => op.kind !== 'read' && op.key === read.key).map((op) => op.value),
    ];
    const others = choices.filter((v) => v !== read.value);
    if (others.length > 0)
      out[out.indexOf(read)] = { ...read, value: others[Math.floor(random() * others.length)]! };
  } else if (writes.length > 0) {
    const w = writes[Math.floor(random() * writes.length)]!;
    out[out.indexOf(w)] = {
      ...w,
      outcome: 'fail',
      complete: Number.isFinite(w.complete) ? w.complete : w.invoke + 0.5,
    };
  }
  return out;
}
