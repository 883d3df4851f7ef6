/**
 * Reading a service's structured log (one pino JSON object per line, written by the supervisor
 * to `<root>/logs/<name>.log`) from a known offset on, so a scenario quotes exactly the lines
 * its fault produced, e.g. the fencing rejection of a resumed leader.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { waitFor } from '../../infra/stack/index.ts';

export type LogLine = Record<string, unknown> & { msg?: string; level?: string; time?: string };

export class LogCursor {
  private offset: number;
  private carry = '';
  private readonly seen: { raw: string; line: LogLine }[] = [];

  /** Starts at the file's current end: only lines written from now on are read. */
  constructor(readonly path: string) {
    this.offset = sizeOf(path);
  }

  /** Reads what was appended since the last call; returns the new lines. */
  poll(): LogLine[] {
    const size = sizeOf(this.path);
    if (size <= this.offset) return [];
    const fd = openSync(this.path, 'r');
    try {
      const buf = Buffer.alloc(size - this.offset);
      readSync(fd, buf, 0, buf.length, this.offset);
      this.offset = size;
      const text = this.carry + buf.toString('utf8');
      const parts = text.split('\n');
      this.carry = parts.pop() ?? '';
      const fresh: LogLine[] = [];
      for (const raw of parts) {
        if (!raw.startsWith('{')) continue;
        try {
          const line = JSON.parse(raw) as LogLine;
          this.seen.push({ raw, line });
          fresh.push(line);
        } catch {
          // Not one of ours (e.g. a stack trace printed by the runtime).
        }
      }
      return fresh;
    } finally {
      closeSync(fd);
    }
  }

  /** Every line read so far that matches, with its exact text. */
  matching(match: (line: LogLine) => boolean): { raw: string; line: LogLine }[] {
    this.poll();
    return this.seen.filter((s) => match(s.line));
  }

  /** Waits until a matching line was written. */
  async waitFor(
    match: (line: LogLine) => boolean,
    what: string,
    timeoutMs = 30_000,
  ): Promise<{ raw: string; line: LogLine }> {
    return waitFor(() => this.matching(match)[0], { what, timeoutMs, intervalMs: 25 });
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

export const FENCING_REJECTED = "fencing rejected this leader's write; stepping down";
export const WRITE_STALLED = 'chaos: stopping this process before a fenced write';

export const isFencingRejection = (l: LogLine) => l.msg === FENCING_REJECTED;
