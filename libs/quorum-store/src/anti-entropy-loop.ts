import type { AntiEntropyReport } from './quorum-store.ts';

/**
 * Options of {@link startAntiEntropyLoop}. `T` is what one pass reports; the same loop runs other
 * background passes of the writer (retention, ADR 0017).
 */
export interface AntiEntropyLoopOptions<T = readonly AntiEntropyReport[]> {
  /** Runs one pass (normally `store.antiEntropy()`). */
  readonly pass: () => Promise<T>;
  /** Milliseconds between the end of one pass and the start of the next; 0 turns the loop off. */
  readonly everyMs: number;
  /** Only the process that should run it (e.g. the current writer) does; checked before each pass. */
  readonly active: () => boolean;
  /** Called with each finished pass's reports, or with the error of a failed pass. */
  readonly onPass?: (reports: T) => void;
  readonly onError?: (err: unknown) => void;
  /** Injected timer, for tests. @default setTimeout */
  readonly schedule?: (run: () => void, ms: number) => { cancel(): void };
}

/**
 * Periodic anti-entropy: the divergence gauge and the repair of replicas that missed writes
 * (e.g. one that was down while W others acked) no longer wait for a writer's term start or an
 * audit. Passes never overlap: the next is scheduled after the previous one settles.
 * Returns `stop()`, which waits for a running pass to settle.
 */
export function startAntiEntropyLoop<T = readonly AntiEntropyReport[]>(
  o: AntiEntropyLoopOptions<T>,
): { stop(): Promise<void> } {
  if (!Number.isFinite(o.everyMs) || o.everyMs < 0)
    throw new RangeError(`background pass interval must be >= 0 ms, got ${o.everyMs}`);
  const schedule =
    o.schedule ??
    ((run: () => void, ms: number) => {
      const t = setTimeout(run, ms);
      t.unref();
      return { cancel: () => clearTimeout(t) };
    });
  let stopped = o.everyMs === 0;
  let running: Promise<void> = Promise.resolve();
  let timer: { cancel(): void } | undefined;
  const tick = (): void => {
    timer = undefined;
    if (stopped) return;
    running = (async () => {
      if (!o.active()) return;
      try {
        // Not `o.onPass?.(await o.pass())`: an optional call skips evaluating its arguments.
        const reports = await o.pass();
        o.onPass?.(reports);
      } catch (err) {
        o.onError?.(err);
      }
    })().finally(() => {
      if (!stopped) timer = schedule(tick, o.everyMs);
    });
  };
  if (!stopped) timer = schedule(tick, o.everyMs);
  return {
    async stop() {
      stopped = true;
      timer?.cancel();
      await running;
    },
  };
}
