/**
 * `npm start`'s console: follows the services' log files (the supervisor writes each process's
 * output to `<root>/logs/<name>.log`) and prints each new line compactly, prefixed with the
 * process name. Services log pino JSON; the compact form keeps time, level, message and the
 * fields that tie a line to a saga (sagaId, step, token), and shows anything else after them.
 */
import fs from 'node:fs';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LEVELS)[number];

const PINO_NUMERIC: Record<number, LogLevel> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};
const FIRST = ['sagaId', 'step', 'token', 'orderId'];
const HIDDEN = new Set([
  'level',
  'time',
  'msg',
  'service',
  'pid',
  'hostname',
  'replica',
  'traceId',
]);

function levelOf(raw: unknown): LogLevel | undefined {
  if (typeof raw === 'number') return PINO_NUMERIC[raw];
  return LEVELS.find((l) => l === raw);
}

function show(value: unknown): string {
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value;
  if (value && typeof value === 'object' && 'message' in value) {
    return JSON.stringify((value as { message: unknown }).message);
  }
  return JSON.stringify(value);
}

/**
 * One raw log line in compact form, or undefined when it is below `minLevel`. Lines that are
 * not JSON (a crash trace, the supervisor's start marker) are kept as they are.
 */
export function compactLine(
  name: string,
  raw: string,
  minLevel: LogLevel = 'info',
): string | undefined {
  const text = raw.trimEnd();
  if (text === '') return undefined;
  let entry: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error('not a log');
    entry = parsed as Record<string, unknown>;
  } catch {
    return `${name.padEnd(12)} ${text}`;
  }
  const level = levelOf(entry.level) ?? 'info';
  if (LEVELS.indexOf(level) < LEVELS.indexOf(minLevel)) return undefined;
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 23) : '';
  const keys = [
    ...FIRST.filter((k) => k in entry),
    ...Object.keys(entry).filter((k) => !FIRST.includes(k) && !HIDDEN.has(k)),
  ];
  const fields = keys.map((k) => `${k}=${show(entry[k])}`).join(' ');
  const msg = typeof entry.msg === 'string' ? entry.msg : '';
  return `${time} ${name.padEnd(12)} ${level.toUpperCase().padEnd(5)} ${msg}${fields ? `  ${fields}` : ''}`;
}

export interface FollowedFile {
  name: string;
  path: string;
}

/** Polls the files and hands every new complete line, compacted, to `emit`. */
export class LogFollower {
  private readonly offsets = new Map<string, number>();
  private readonly partial = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly files: FollowedFile[] = [];
  private readonly emit: (line: string) => void;
  private readonly minLevel: LogLevel;

  constructor(emit: (line: string) => void, minLevel: LogLevel = 'info') {
    this.emit = emit;
    this.minLevel = minLevel;
  }

  /** Starts following a file from its current end (earlier runs' output is not replayed). */
  add(file: FollowedFile): void {
    if (this.files.some((f) => f.path === file.path)) return;
    this.files.push(file);
    this.offsets.set(file.path, sizeOf(file.path));
  }

  start(intervalMs = 250): void {
    this.timer ??= setInterval(() => this.poll(), intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.poll();
  }

  poll(): void {
    for (const file of this.files) {
      const size = sizeOf(file.path);
      let offset = this.offsets.get(file.path) ?? 0;
      if (size < offset) offset = 0; // truncated or replaced
      if (size === offset) continue;
      const chunk = readRange(file.path, offset, size);
      this.offsets.set(file.path, size);
      const lines = ((this.partial.get(file.path) ?? '') + chunk).split('\n');
      this.partial.set(file.path, lines.pop() ?? '');
      for (const line of lines) {
        const out = compactLine(file.name, line, this.minLevel);
        if (out !== undefined) this.emit(out);
      }
    }
  }
}

function sizeOf(path: string): number {
  try {
    return fs.statSync(path).size;
  } catch {
    return 0;
  }
}

function readRange(path: string, from: number, to: number): string {
  const fd = fs.openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(to - from);
    const read = fs.readSync(fd, buffer, 0, buffer.length, from);
    return buffer.subarray(0, read).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}
