/**
 * Hunts a console that hides what matters or floods: saga fields dropped, levels below the
 * threshold shown, a line split across two reads printed as two, lines of an earlier run
 * replayed, a crash trace (not JSON) swallowed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compactLine, LogFollower } from './log-follower.ts';

describe('compactLine', () => {
  it('keeps time, level, message and the saga fields first', () => {
    const raw = JSON.stringify({
      level: 'warn',
      time: '2026-01-02T03:04:05.678Z',
      service: 'order',
      replica: 'order-1',
      msg: 'write fenced',
      attempt: 2,
      token: 7,
      sagaId: 'ord-1',
    });
    expect(compactLine('order-1', raw)).toBe(
      '03:04:05.678 order-1      WARN  write fenced  sagaId=ord-1 token=7 attempt=2',
    );
  });

  it('drops lines below the threshold and understands pino numeric levels', () => {
    expect(compactLine('x', JSON.stringify({ level: 'debug', msg: 'm' }))).toBeUndefined();
    expect(compactLine('x', JSON.stringify({ level: 20, msg: 'm' }), 'debug')).toContain('DEBUG m');
    expect(
      compactLine('x', JSON.stringify({ level: 50, msg: 'boom', err: { message: 'bad thing' } })),
    ).toContain('ERROR boom  err="bad thing"');
  });

  it('passes non-JSON lines through', () => {
    expect(compactLine('payment-1', 'TypeError: x is not a function')).toBe(
      'payment-1    TypeError: x is not a function',
    );
    expect(compactLine('payment-1', '   ')).toBeUndefined();
  });
});

describe('LogFollower', () => {
  it('prints only lines written after it started, whole, in order', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seamline-follow-'));
    const file = path.join(dir, 'svc.log');
    fs.writeFileSync(file, 'old line\n');
    const seen: string[] = [];
    const follower = new LogFollower((line) => seen.push(line));
    follower.add({ name: 'svc', path: file });
    fs.appendFileSync(file, `${JSON.stringify({ level: 'info', msg: 'first' })}\n{"level":"info",`);
    follower.poll();
    fs.appendFileSync(file, '"msg":"second"}\n');
    follower.poll();
    follower.stop();
    expect(seen.map((l) => l.trim())).toEqual([
      'svc          INFO  first',
      'svc          INFO  second',
    ]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
