/**
 * Hunts a stack that cannot start as root from a checkout the postgres OS user cannot reach
 * (below /root, or a `mktemp -d` directory), and two such stacks sharing PostgreSQL data.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresHome, stackPaths } from './options.ts';

const made: string[] = [];
const dir = (mode: number) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-home-'));
  fs.chmodSync(d, mode);
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

describe.skipIf(process.getuid?.() !== 0)('postgresHome (as root)', () => {
  it('keeps the instance dirs under a root that postgres can reach', () => {
    const root = path.join(dir(0o755), 'checkout', '.seamline');
    expect(postgresHome(root)).toBe(root);
    expect(stackPaths(root).postgresDir(2)).toBe(path.join(root, 'pg-2'));
  });

  it('moves them to a reachable place of their own when an ancestor is 0700', () => {
    const hidden = dir(0o700);
    const a = path.join(hidden, 'a', '.seamline');
    const b = path.join(hidden, 'b', '.seamline');
    const home = postgresHome(a);
    expect(home).toMatch(/^\/var\/tmp\/seamline-[0-9a-f]{12}$/);
    expect(postgresHome(a)).toBe(home);
    expect(postgresHome(b)).not.toBe(home);
    expect(stackPaths(a).postgresDir(1)).toBe(path.join(home, 'pg-1'));
    // The socket path stays well under the 107-byte limit.
    expect(Buffer.byteLength(path.join(home, 'pg-1', '.s.PGSQL.54331'))).toBeLessThan(107);
  });
});
