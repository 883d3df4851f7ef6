/**
 * Chaos control against the real NATS cluster. Hunts: a watcher that starts without the rules
 * already in the bucket, a change that never reaches a running watcher (or is confirmed before
 * it applies), a cleared rule that keeps firing, a malformed rule that takes the watcher down,
 * and a confirmation wait that passes with nobody watching.
 */
import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import type { BusCommand } from '@seamline/bus';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { waitFor } from '../../../infra/stack/index.ts';
import { ChaosControl, ChaosNotAppliedError, ChaosWatcher, chaosBucketName } from '../index.ts';

const stack = inject('stack');
const prefix = `t${randomBytes(4).toString('hex')}`;
const bucket = { prefix, replicas: stack.nats.length >= 3 ? 3 : 1 };
let nc: NatsConnection;
let control: ChaosControl;
const watchers: ChaosWatcher[] = [];

const command = (pattern: string, sagaId = 'saga-1') =>
  ({ pattern, sagaId, deadline: Date.now() + 10_000 }) as unknown as BusCommand<unknown>;

beforeAll(async () => {
  nc = await connect({ servers: stack.nats, name: 'chaos-control-test' });
  control = await ChaosControl.open(nc, bucket);
});

afterAll(async () => {
  for (const w of watchers) await w.stop();
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(`KV_${chaosBucketName(prefix)}`).catch(() => false);
  await nc.close();
});

async function watcher(replica: string): Promise<ChaosWatcher> {
  const w = new ChaosWatcher({ service: 'payment', replica, seed: 42, tallyEveryMs: 20 });
  watchers.push(w);
  await w.start(nc, bucket);
  return w;
}

it('refuses to confirm a change while no process of the service watches', async () => {
  const { revision } = await control.set({
    id: 'early',
    pattern: 'payment.charge',
    action: 'fail',
    count: 1,
  });
  await expect(control.waitApplied('payment', revision, { timeoutMs: 300 })).rejects.toBeInstanceOf(
    ChaosNotAppliedError,
  );
});

it('starts with the rules already stored, then follows sets and clears', async () => {
  const w = await watcher('payment-a');
  // The rule stored before the watcher existed is in force as soon as start() returned.
  expect(w.faults.beforeHandle?.(command('payment.charge'))).toBe('fail');
  expect(w.faults.beforeHandle?.(command('payment.charge'))).toBeUndefined();

  const set = await control.set({
    id: 'lost',
    pattern: 'payment.refund',
    action: 'drop-reply',
    sagaId: 'saga-9',
    count: 1,
  });
  const [tally] = await control.waitApplied('payment', set.revision);
  expect(tally?.revision).toBeGreaterThanOrEqual(set.revision);
  expect(w.faults.afterCommit?.(command('payment.refund', 'saga-1'))).toBeUndefined();
  expect(w.faults.afterCommit?.(command('payment.refund', 'saga-9'))).toBe('drop-reply');
  expect(w.faults.afterCommit?.(command('payment.refund', 'saga-9'))).toBeUndefined();

  const listed = await control.list();
  expect(listed.map((r) => r.rule.id)).toEqual(['early', 'lost']);

  const cleared = await control.clear('early');
  expect(cleared.cleared).toEqual(['early']);
  await control.waitApplied('payment', cleared.revision);
  const again = await control.set({ id: 'any', pattern: 'payment.*', action: 'drop' });
  await control.waitApplied('payment', again.revision);
  expect(w.faults.beforeHandle?.(command('payment.charge'))).toBe('drop');
  const all = await control.clear();
  expect(all.cleared.sort()).toEqual(['any', 'lost']);
  await control.waitApplied('payment', all.revision);
  expect(w.faults.beforeHandle?.(command('payment.charge'))).toBeUndefined();
  expect(await control.list()).toEqual([]);
});

it('reports what every watching process saw, per pattern and per rule', async () => {
  const w = await watcher('payment-b');
  const set = await control.set({
    id: 'count-me',
    pattern: 'payment.refund',
    action: 'drop-reply',
    count: 1,
  });
  await control.waitApplied('payment', set.revision);
  for (let i = 0; i < 2; i++) {
    w.faults.beforeHandle?.(command('payment.refund'));
    w.faults.afterCommit?.(command('payment.refund'));
  }
  const mine = await waitFor(
    async () =>
      (await control.tallies('payment')).find(
        (t) => t.replica === 'payment-b' && t.rules['count-me']?.commits === 2,
      ),
    { what: 'the tally of payment-b', timeoutMs: 5_000, intervalMs: 25 },
  );
  expect(mine.rules['count-me']).toEqual({ deliveries: 2, commits: 2, applied: 1 });
  expect(mine.deliveries['payment.refund']).toBe(2);
  expect(mine.seed).toBe(42);
  await control.clear();
});

it('ignores a malformed rule written straight into the bucket and keeps watching', async () => {
  const w = await watcher('payment-c');
  const kv = await new Kvm(nc).open(chaosBucketName(prefix));
  const bad = await kv.put('rule.bad', JSON.stringify({ id: 'bad', action: 'explode' }));
  await control.waitApplied('payment', bad);
  const good = await control.set({ id: 'good', pattern: 'payment.charge', action: 'fail' });
  await control.waitApplied('payment', good.revision);
  expect(w.faults.beforeHandle?.(command('payment.charge'))).toBe('fail');
  await kv.delete('rule.bad');
  await control.clear();
});
