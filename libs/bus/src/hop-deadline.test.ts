/**
 * Hole 8 (deadlines across hosts): the rule that turns a command's headers and the server's stamp
 * into a deadline on the receiver's clock. Hunts: a skewed sender or receiver that moves a
 * deadline by its skew (work refused with time left, or a handler given more than its caller
 * had); a redelivery that gets its budget back; a hop that is not strictly shorter than its
 * caller; a message from an older sender that is no longer understood; a skew that is not
 * reported.
 *
 * The world: the NATS server's clock is true time; a host's clock is true time + its skew.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { busCommand } from './bus-command.ts';
import type { CommandMeta } from './bus-headers.ts';
import { beforeHandler } from './delivery-policy.ts';
import { arrivalDeadline, budgetFor, HopDeadlines } from './hop-deadline.ts';
import { ServerClock } from './server-clock.ts';

const T0 = 1_800_000_000_000;
const policy = { maxDeliver: 5, backoffBaseMs: 100, backoffMaxMs: 1_000 };
const RESERVE = 10;

type Host = { skew: number };
const clockOf = (h: Host, trueTime: number) => trueTime + h.skew;

/**
 * `sender` publishes at true time `sentAt` with `budget` ms left; the server stores it `publishMs`
 * later; `receiver` (which probed the server 20 s before, round trip `rttMs`) sees it `ageMs`
 * after it was stored. Returns what the receiver's gate and handler see.
 */
function deliver(o: {
  sender: Host;
  receiver: Host;
  budget: number;
  sentAt?: number;
  publishMs?: number;
  ageMs?: number;
  rttMs?: number;
  withBudgetHeader?: boolean;
}) {
  const sentAt = o.sentAt ?? T0;
  const storedAt = sentAt + (o.publishMs ?? 2);
  const seenAt = storedAt + (o.ageMs ?? 3);
  const rtt = o.rttMs ?? 4;
  const server = new ServerClock(60_000);
  // The receiver probes every third of its 60 s window: the last probe is at most 20 s old.
  const probeAt = seenAt - 20_000;
  server.probe(probeAt + rtt / 2, clockOf(o.receiver, probeAt), clockOf(o.receiver, probeAt + rtt));
  const now = clockOf(o.receiver, seenAt);
  server.observe(storedAt, now);
  const senderDeadline = clockOf(o.sender, sentAt) + o.budget;
  const deadline = arrivalDeadline({
    budgetMs:
      o.withBudgetHeader === false
        ? undefined
        : budgetFor(senderDeadline, clockOf(o.sender, sentAt)),
    deadline: senderDeadline,
    storedAt,
    offset: server.offset(now),
    now,
  });
  const gate = beforeHandler({ deliveryCount: 1, deadline, now, reserveMs: RESERVE, policy });
  return {
    deadline,
    now,
    gate,
    remaining: deadline - now,
    trueRemaining: o.budget - (seenAt - sentAt),
  };
}

describe('hole 8: a deadline crossing hosts', () => {
  it.each([
    ['ahead', 20_000],
    ['behind', -20_000],
  ])(
    'gives a receiver whose clock runs 20 s %s the 5 s budget, less its time in transit',
    (_, skew) => {
      const d = deliver({ sender: { skew: 0 }, receiver: { skew }, budget: 5_000 });
      expect(d.gate).toMatchObject({ kind: 'handle' });
      expect(d.remaining).toBeLessThan(5_000);
      // Off by milliseconds (the probe's round trip, the publish), not by the 20 s.
      expect(Math.abs(d.remaining - d.trueRemaining)).toBeLessThanOrEqual(10);
    },
  );

  it.each([
    ['ahead', 20_000],
    ['behind', -20_000],
  ])('is not moved by a sender whose clock runs 20 s %s', (_, skew) => {
    const synced = deliver({ sender: { skew: 0 }, receiver: { skew: 0 }, budget: 5_000 });
    const skewed = deliver({ sender: { skew }, receiver: { skew: 0 }, budget: 5_000 });
    expect(skewed.remaining).toBe(synced.remaining);
  });

  it('finds a 5 s budget spent when a redelivery comes 8 s after the command was stored', () => {
    for (const skew of [-20_000, 0, 20_000]) {
      const d = deliver({
        sender: { skew: -skew },
        receiver: { skew },
        budget: 5_000,
        ageMs: 8_000,
      });
      expect(d.gate).toMatchObject({ kind: 'deadline', reply: { code: 'DEADLINE_EXCEEDED' } });
    }
    // ...but still has 2 s of it after 3 s in the stream.
    const early = deliver({
      sender: { skew: 0 },
      receiver: { skew: 20_000 },
      budget: 5_000,
      ageMs: 3_000,
    });
    expect(early.gate).toMatchObject({ kind: 'handle' });
    expect(Math.abs(early.remaining - early.trueRemaining)).toBeLessThanOrEqual(10);
    expect(early.trueRemaining).toBeGreaterThan(1_990);
  });

  it('keeps the old meaning for a command without a budget header (an older sender)', () => {
    const d = deliver({
      sender: { skew: 0 },
      receiver: { skew: 0 },
      budget: 5_000,
      withBudgetHeader: false,
    });
    expect(d.deadline).toBe(T0 + 5_000);
    expect(d.gate).toMatchObject({ kind: 'handle' });
  });

  it('counts no time in the stream when no offset was ever measured', () => {
    expect(
      arrivalDeadline({ budgetMs: 700, deadline: 1, storedAt: 5, offset: undefined, now: 1_000 }),
    ).toBe(1_700);
  });

  it('gives a receiver less than its budget, and what is truly left within a round trip', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -3_600_000, max: 3_600_000 }),
        fc.integer({ min: -3_600_000, max: 3_600_000 }),
        fc.integer({ min: 1, max: 600_000 }),
        fc.integer({ min: 0, max: 5_000 }),
        fc.integer({ min: 0, max: 900_000 }),
        fc.integer({ min: 0, max: 200 }),
        (senderSkew, receiverSkew, budget, publishMs, ageMs, rttMs) => {
          const d = deliver({
            sender: { skew: senderSkew },
            receiver: { skew: receiverSkew },
            budget,
            publishMs,
            ageMs,
            rttMs,
          });
          expect(d.remaining).toBeLessThan(budget);
          // The publish (sender's clock read to the server's stamp) is the only time not seen;
          // the probe's round trip makes the command look older, never younger.
          expect(d.remaining).toBeLessThan(d.trueRemaining + publishMs + 1);
          expect(d.remaining).toBeGreaterThanOrEqual(d.trueRemaining - rttMs - 2);
        },
      ),
    );
  });
});

describe('hole 8: each hop has strictly less time than its caller', () => {
  it('down a chain of five hosts with clocks up to a minute apart', () => {
    const skews = [0, 20_000, -20_000, 60_000, -45_000];
    let budget = 5_000;
    let trueTime = T0;
    for (const [i, skew] of skews.entries()) {
      const host = { skew };
      const now = clockOf(host, trueTime + 3);
      const server = new ServerClock(60_000);
      server.probe(trueTime - 500, clockOf(host, trueTime - 502), clockOf(host, trueTime - 498));
      server.observe(trueTime + 1, now);
      const deadline = arrivalDeadline({
        budgetMs: budget,
        deadline: 0,
        storedAt: trueTime + 1,
        offset: server.offset(now),
        now,
      });
      const cmd = busCommand({
        pattern: 'payment.charge',
        payload: {},
        meta: {
          sagaId: 's',
          step: 'charge',
          idempotencyKey: `s:charge:${i}`,
          deadline: 0,
          attempt: 1,
          replyTo: 'order',
        },
        deliveryCount: 1,
        reserveMs: 1,
        clock: () => now,
        deadline,
      });
      expect(cmd.remainingMs()).toBeLessThan(budget);
      expect(cmd.remainingMs()).toBeGreaterThan(0);
      // What this hop would send on: its own deadline, as a budget on its own clock.
      const next = budgetFor(cmd.deadline, clockOf(host, trueTime + 5));
      expect(next).toBeLessThan(budget);
      budget = next;
      trueTime += 5;
    }
  });
});

describe('hole 8: measuring the skew between sender and receiver', () => {
  const meta = (deadline: number, budgetMs?: number): CommandMeta => ({
    sagaId: 's',
    step: 'charge',
    idempotencyKey: 's:charge:charge',
    deadline,
    attempt: 1,
    replyTo: 'order',
    ...(budgetMs === undefined ? {} : { budgetMs }),
  });

  it('warns when the sender is 20 s off, at most once a minute, and not for small skews', () => {
    let now = T0;
    const warnings: Record<string, unknown>[] = [];
    const deadlines = new HopDeadlines({
      serverClock: new ServerClock(60_000),
      clock: () => now,
      skewWarnMs: 1_000,
      logger: { warn: (f) => warnings.push(f), error: () => undefined },
    });
    // Sender 300 ms behind: no warning.
    expect(deadlines.of(meta(T0 - 300 + 5_000, 5_000), T0)).toBe(T0 + 5_000);
    expect(warnings).toHaveLength(0);
    // Sender 20 s ahead: the deadline is the same, and a warning says by how much.
    now += 10;
    expect(deadlines.of(meta(T0 + 10 + 20_000 + 5_000, 5_000), T0 + 10)).toBe(now + 5_000);
    expect(warnings).toEqual([expect.objectContaining({ skewMs: 20_000, sender: 'order' })]);
    now += 30_000;
    deadlines.of(meta(now + 20_000 + 5_000, 5_000), now);
    expect(warnings).toHaveLength(1);
    now += 31_000;
    deadlines.of(meta(now + 20_000 + 5_000, 5_000), now);
    expect(warnings).toHaveLength(2);
    // An older sender's command has nothing to compare: no warning, its deadline as is.
    now += 61_000;
    expect(deadlines.of(meta(now + 99_000), now)).toBe(now + 99_000);
    expect(warnings).toHaveLength(2);
  });
});
