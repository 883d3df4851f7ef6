/**
 * Hunts: two operations on one stack interleaving inside a process, a lock left by a crashed
 * supervisor blocking everyone forever, and a lock held by a live process being stolen.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readStat } from './process-table.ts';
import { withStackLock } from './stack-lock.ts';
import { WaitTimeoutError } from './wait-for.ts';

let dir: string;
let lockFile: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seamline-lock-'));
  lockFile = path.join(dir, 'stack', 'lock');
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('stack lock', () => {
  it('runs concurrent sections of one process one after the other', async () => {
    const events: string[] = [];
    let releaseFirst!: () => void;
    const gate = new Promise<void>((resolve) => (releaseFirst = resolve));
    const first = withStackLock(lockFile, async () => {
      events.push('first:start');
      await gate;
      events.push('first:end');
    });
    const second = withStackLock(lockFile, async () => {
      events.push('second:start');
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['first:start']);
    releaseFirst();
    await Promise.all([first, second]);
    expect(events).toEqual(['first:start', 'first:end', 'second:start']);
    expect(fs.existsSync(lockFile)).toBe(false);
  });

  it('takes over a lock whose holder has exited', async () => {
    const dead = spawnSync('true').pid;
    fs.mkdirSync(path.dirname(lockFile), { recursive: true });
    fs.writeFileSync(lockFile, JSON.stringify({ pid: dead, startTicks: 1, since: 'then' }));
    expect(await withStackLock(lockFile, async () => 'acquired', { timeoutMs: 2_000 })).toBe(
      'acquired',
    );
  });

  it('waits for a live holder and never steals its lock', async () => {
    const holder = process.ppid;
    const content = JSON.stringify({
      pid: holder,
      startTicks: readStat(holder)!.startTicks,
      since: 'now',
    });
    fs.mkdirSync(path.dirname(lockFile), { recursive: true });
    fs.writeFileSync(lockFile, content);
    const waits: string[] = [];
    const error = await withStackLock(lockFile, async () => 'acquired', {
      timeoutMs: 300,
      onWait: (who) => waits.push(who),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect(waits).toEqual([`pid ${holder} since now`]);
    expect(fs.readFileSync(lockFile, 'utf8')).toBe(content);
  });
});
