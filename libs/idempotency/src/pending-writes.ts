import type { RecordWrite } from '@seamline/quorum-store';

/**
 * Batches whose write ended indeterminate and were given up on for now. Until a batch is known to
 * have W acks, it is the truth about its records: any later decision touching one of them must
 * first re-drive the same batch with the same versions (re-applying a version is a no-op where it
 * landed), or a newer write could build on state that never became durable.
 */
export class PendingWrites {
  private readonly byKey = new Map<string, readonly RecordWrite[]>();

  add(rows: readonly RecordWrite[]): void {
    for (const row of rows) this.byKey.set(row.key, rows);
  }

  /** Every distinct pending batch that writes at least one of `keys`. */
  touching(keys: Iterable<string>): (readonly RecordWrite[])[] {
    const found = new Set<readonly RecordWrite[]>();
    for (const key of keys) {
      const batch = this.byKey.get(key);
      if (batch !== undefined) found.add(batch);
    }
    return [...found];
  }

  settle(rows: readonly RecordWrite[]): void {
    for (const row of rows) {
      if (this.byKey.get(row.key) === rows) this.byKey.delete(row.key);
    }
  }

  clear(): void {
    this.byKey.clear();
  }

  /** Distinct batches still pending. */
  get batches(): number {
    return new Set(this.byKey.values()).size;
  }
}
