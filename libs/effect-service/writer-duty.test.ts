/**
 * Hunts writer-lifecycle bugs: consuming commands before the writer's term is active (or
 * starting the consumer twice), a fenced writer that keeps its token or stops twice, a
 * graceful step-down mistaken for a lost lease, and a consumer that failed to start leaving
 * the process half alive.
 */
import { FencedEffectWriter } from '@seamline/idempotency';
import type { TermStore } from '@seamline/idempotency';
import { createLogger } from '@seamline/observability';
import { FencedError } from '@seamline/quorum-store';
import { describe, expect, it } from 'vitest';
import { LogCapture } from './testing/log-capture.ts';
import { WriterDuty } from './writer-duty.ts';

const termStore: TermStore = {
  claimFence: async (_domain, proposed) => ({ token: proposed, acks: 2 }),
};

function setup(closing = false) {
  const writer = new FencedEffectWriter({
    store: { readMany: async () => new Map(), write: async () => ({ acks: 2 }) },
    domain: 'ledger',
  });
  const logs = new LogCapture();
  const fatal: string[] = [];
  const state = { closing };
  const duty = new WriterDuty({
    service: 'ledger',
    writer,
    store: termStore,
    log: createLogger({ service: 'ledger', level: 'debug', destination: logs }),
    closing: () => state.closing,
    onFatal: (reason) => fatal.push(reason),
  });
  const stopped = () => logs.lines.filter((l) => l['event'] === 'writer-stopped');
  return { writer, logs, fatal, state, duty, stopped };
}

const until = async (probe: () => boolean): Promise<void> => {
  while (!probe()) await new Promise((r) => setImmediate(r));
};

describe('WriterDuty', () => {
  it('starts consuming once, after the first term is active, and is ready only then', async () => {
    const t = setup();
    const starts: (number | undefined)[] = [];
    t.duty.consumeWith(async () => {
      starts.push(t.writer.token);
    });
    expect(t.duty.isReady()).toBe(false);
    t.duty.elected(7);
    await t.duty.ready;
    expect(starts).toEqual([7]);
    expect(t.duty.isReady()).toBe(true);
    t.duty.elected(9);
    await until(() => t.writer.token === 9);
    expect(starts).toEqual([7]);
    expect(t.fatal).toEqual([]);
  });

  it('stops for good at a fenced write: writer off, one error line with both tokens, one onFatal', async () => {
    const t = setup();
    t.duty.consumeWith(async () => undefined);
    t.duty.elected(3);
    await t.duty.ready;
    const fenced = new FencedError('ledger', 3, 8, 'pg-2', false);
    t.duty.onWriteError(fenced);
    t.duty.onWriteError(fenced);
    expect(t.writer.token).toBeUndefined();
    expect(t.duty.isReady()).toBe(false);
    expect(t.fatal).toEqual(['fenced']);
    expect(t.stopped()).toMatchObject([
      { level: 'error', reason: 'fenced', staleToken: 3, installedToken: 8, replica: 'pg-2' },
    ]);
  });

  it('ignores write errors that are not fencing', () => {
    const t = setup();
    t.duty.onWriteError(new Error('replica timeout'));
    expect(t.fatal).toEqual([]);
  });

  it('treats a lost lease as fatal, but not while closing', async () => {
    const t = setup();
    t.duty.lost('expired');
    expect(t.fatal).toEqual(['lease lost (expired)']);

    const graceful = setup(true);
    graceful.duty.consumeWith(async () => undefined);
    graceful.duty.elected(4);
    await graceful.duty.ready;
    graceful.duty.lost('stopped');
    expect(graceful.writer.token).toBeUndefined();
    expect(graceful.fatal).toEqual([]);
    expect(graceful.stopped()).toEqual([]);
  });

  it('stops when the consumer fails to start, unless the service is closing', async () => {
    const t = setup();
    t.duty.consumeWith(async () => {
      throw new Error('stream missing');
    });
    t.duty.elected(5);
    await until(() => t.fatal.length > 0);
    expect(t.fatal).toEqual(['bus failed to start']);
    expect(t.stopped()[0]).toMatchObject({ err: 'stream missing' });

    const closing = setup(true);
    let failed = false;
    closing.duty.consumeWith(async () => {
      failed = true;
      throw new Error('closed');
    });
    closing.duty.elected(5);
    await until(() => failed);
    await new Promise((r) => setImmediate(r));
    expect(closing.fatal).toEqual([]);
  });
});
