/**
 * An in-memory stand-in for the quorum store's write/read contract, for unit tests of the writer:
 * a batch applies atomically, a row only moves forward in version, and every write can be made to
 * fail the ways a quorum write fails (indeterminate and applied, indeterminate and lost, provably
 * not applied, fenced).
 */
import type { RecordWrite, VersionedRecord } from '@seamline/quorum-store';
import {
  compareVersions,
  FencedError,
  IndeterminateWriteError,
  QuorumUnavailableError,
} from '@seamline/quorum-store';
import type { EffectStore } from '../index.ts';

export type WriteFault = 'ok' | 'indeterminate-applied' | 'indeterminate-lost' | 'unavailable';

/** Wraps each call so a test scheduler can decide when its answer arrives. */
export type Scheduler = <A extends unknown[], T>(
  fn: (...args: A) => Promise<T>,
) => (...args: A) => Promise<T>;

export class MemoryStore implements EffectStore {
  readonly records = new Map<string, VersionedRecord>();
  writeCalls = 0;
  readCalls = 0;
  fence = 0;
  private readonly faults: WriteFault[];
  private scheduled: { readMany: EffectStore['readMany']; write: EffectStore['write'] } | undefined;

  constructor(faults: readonly WriteFault[] = [], scheduler?: Scheduler) {
    this.faults = [...faults];
    if (scheduler !== undefined) {
      this.scheduled = {
        readMany: scheduler((d: string, k: readonly string[]) => this.doRead(d, k)),
        write: scheduler((d: string, r: readonly RecordWrite[], o: { token: number }) =>
          this.doWrite(d, r, o),
        ),
      };
    }
  }

  /** Stops scheduling: later calls answer at once (for draining after an interleaving). */
  unschedule(): void {
    this.scheduled = undefined;
  }

  /** Replaces what is left of the fault script. */
  setFaults(faults: readonly WriteFault[]): void {
    this.faults.splice(0, this.faults.length, ...faults);
  }

  value(key: string): unknown {
    return this.records.get(key)?.value;
  }

  readMany(domain: string, keys: readonly string[]): Promise<Map<string, VersionedRecord>> {
    return this.scheduled !== undefined
      ? this.scheduled.readMany(domain, keys)
      : this.doRead(domain, keys);
  }

  write(
    domain: string,
    rows: readonly RecordWrite[],
    opts: { token: number },
  ): Promise<{ acks: number }> {
    return this.scheduled !== undefined
      ? this.scheduled.write(domain, rows, opts)
      : this.doWrite(domain, rows, opts);
  }

  private async doRead(
    _domain: string,
    keys: readonly string[],
  ): Promise<Map<string, VersionedRecord>> {
    this.readCalls++;
    const out = new Map<string, VersionedRecord>();
    for (const k of keys) {
      const r = this.records.get(k);
      if (r !== undefined) out.set(k, structuredClone(r));
    }
    return out;
  }

  private async doWrite(
    domain: string,
    rows: readonly RecordWrite[],
    opts: { token: number },
  ): Promise<{ acks: number }> {
    this.writeCalls++;
    if (opts.token < this.fence)
      throw new FencedError(domain, opts.token, this.fence, 'memory', false);
    const fault = this.faults.shift() ?? 'ok';
    if (fault === 'unavailable') throw new QuorumUnavailableError('write', 0, 2, []);
    if (fault !== 'indeterminate-lost') {
      for (const row of rows) {
        const current = this.records.get(row.key);
        if (current === undefined || compareVersions(row.version, current.version) > 0) {
          this.records.set(row.key, {
            key: row.key,
            version: row.version,
            tag: row.tag ?? null,
            value: structuredClone(row.value),
          });
        }
      }
    }
    if (fault !== 'ok') throw new IndeterminateWriteError(1, 2, []);
    return { acks: 3 };
  }
}
