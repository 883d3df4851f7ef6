/** Collects a service's JSON log lines (pass as `logDestination`). */
export class LogCapture {
  readonly lines: Record<string, unknown>[] = [];

  write(chunk: string): void {
    for (const line of chunk.split('\n'))
      if (line.trim() !== '') this.lines.push(JSON.parse(line) as Record<string, unknown>);
  }

  /** `effect answered` lines of one idempotency key, in order. */
  answers(key: string): { replayed: unknown; result: unknown }[] {
    return this.lines
      .filter((l) => l['msg'] === 'effect answered' && l['key'] === key)
      .map((l) => ({ replayed: l['replayed'], result: l['result'] }));
  }
}
