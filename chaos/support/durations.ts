/** `500ms`, `10s`, `2m` or a bare number of milliseconds, for command-line options. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (m === null) throw new TypeError(`not a duration: ${text} (use 500ms, 10s or 2m)`);
  const value = Number(m[1]);
  const unit = m[2] ?? 'ms';
  return Math.round(value * (unit === 'm' ? 60_000 : unit === 's' ? 1000 : 1));
}
