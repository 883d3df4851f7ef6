/**
 * Hunts a chaos switch that fires when it should not: unarmed, on the wrong write kind, or
 * more than once per arming (each would pause a leader the scenario did not mean to pause).
 */
import { createLogger } from '@seamline/observability';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { WriteStall } from './write-stall.ts';

function harness(target: 'create' | 'transition' | 'any') {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  let stops = 0;
  const stall = new WriteStall(target, createLogger({ service: 'order', destination }), () => {
    stops += 1;
  });
  return { stall, lines, stops: () => stops };
}

describe('WriteStall', () => {
  it('never stops the process until it is armed', () => {
    const h = harness('any');
    h.stall.beforeWrite({ kind: 'create', sagaId: 'ord-1', token: 7 });
    expect(h.stops()).toBe(0);
  });

  it('stops once before the first matching write after arming, and logs the saga and token', () => {
    const h = harness('transition');
    h.stall.arm();
    h.stall.beforeWrite({ kind: 'create', sagaId: 'ord-1', token: 7 });
    expect(h.stops()).toBe(0);
    h.stall.beforeWrite({ kind: 'transition', sagaId: 'ord-2', token: 7 });
    h.stall.beforeWrite({ kind: 'transition', sagaId: 'ord-3', token: 7 });
    expect(h.stops()).toBe(1);
    expect(h.stall.isArmed).toBe(false);
    const line = h.lines.map((l) => JSON.parse(l) as Record<string, unknown>).at(-1);
    expect(line).toMatchObject({ sagaId: 'ord-2', write: 'transition', token: 7 });
  });

  it('with target any, the next write of either kind stops it', () => {
    const h = harness('any');
    h.stall.arm();
    h.stall.beforeWrite({ kind: 'create', sagaId: 'ord-1', token: 3 });
    expect(h.stops()).toBe(1);
  });
});
