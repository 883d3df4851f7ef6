/**
 * The fault plan's decisions. Hunts: a count-limited rule that fires once too often (or keeps
 * firing after its count), a rate that ignores its seed (not reproducible) or its value, an
 * expired rule that still fires, a saga filter that leaks onto other sagas, a stall that
 * outlives the command's deadline, and counters that miss deliveries the rule only watched.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FaultPlan } from './fault-plan.ts';
import type { FaultTarget } from './fault-plan.ts';
import type { FaultRule } from './fault-rule.ts';
import { parseFaultRule } from './fault-rule.ts';

const rule = (over: Partial<FaultRule>): FaultRule =>
  parseFaultRule({
    id: 'r1',
    pattern: 'payment.refund',
    action: 'drop-reply',
    rate: 1,
    createdAt: 1,
    ...over,
  });
const refund = (sagaId = 's1', deadline = 10_000): FaultTarget => ({
  pattern: 'payment.refund',
  sagaId,
  deadline,
});

describe('FaultPlan', () => {
  it('drops exactly `count` replies, then lets the rest through while still counting them', () => {
    const plan = new FaultPlan({ seed: 1 });
    plan.upsert(rule({ count: 1 }), 5);
    const seen = [1, 2, 3].map(() => {
      expect(plan.beforeHandle(refund())).toBeUndefined();
      return plan.afterCommit(refund());
    });
    expect(seen).toEqual(['drop-reply', undefined, undefined]);
    expect(plan.tally().rules.r1).toEqual({ deliveries: 3, commits: 3, applied: 1 });
    expect(plan.tally().deliveries).toEqual({ 'payment.refund': 3 });
  });

  it('hits only the named saga and only the matching patterns', () => {
    const plan = new FaultPlan({ seed: 1 });
    plan.upsert(rule({ sagaId: 's1', action: 'fail', pattern: 'payment.*' }), 1);
    expect(plan.beforeHandle(refund('s2'))).toBeUndefined();
    expect(plan.beforeHandle({ ...refund('s1'), pattern: 'inventory.reserve' })).toBeUndefined();
    expect(plan.beforeHandle({ ...refund('s1'), pattern: 'payment.charge' })).toBe('fail');
    expect(plan.tally().rules.r1?.deliveries).toBe(1);
  });

  it('stops firing once `until` has passed', () => {
    let now = 1_000;
    const plan = new FaultPlan({ seed: 1, clock: () => now });
    plan.upsert(rule({ action: 'drop', until: 2_000 }), 1);
    expect(plan.beforeHandle(refund())).toBe('drop');
    now = 2_000;
    expect(plan.beforeHandle(refund())).toBeUndefined();
  });

  it('holds a stall until the earliest of its delay, its until and the command deadline', () => {
    const now = 1_000;
    const plan = new FaultPlan({ seed: 1, clock: () => now });
    plan.upsert(rule({ action: 'stall' }), 1);
    expect(plan.beforeHandle(refund('s1', 4_000))).toEqual({ delayMs: 3_000 });
    plan.upsert(rule({ action: 'stall', until: 2_500 }), 2);
    expect(plan.beforeHandle(refund('s1', 4_000))).toEqual({ delayMs: 1_500 });
    plan.upsert(rule({ action: 'stall', until: 2_500, delayMs: 700 }), 3);
    expect(plan.beforeHandle(refund('s1', 4_000))).toEqual({ delayMs: 700 });
    plan.upsert(rule({ action: 'delay', delayMs: 250 }), 4);
    expect(plan.beforeHandle(refund('s1', 4_000))).toEqual({ delayMs: 250 });
  });

  it('lets the oldest firing rule decide; a reply rule does not preempt a delivery rule', () => {
    const plan = new FaultPlan({ seed: 1 });
    plan.upsert(rule({ id: 'a', action: 'drop-reply', createdAt: 1 }), 1);
    plan.upsert(rule({ id: 'b', action: 'fail', createdAt: 2 }), 2);
    plan.upsert(rule({ id: 'c', action: 'drop', createdAt: 3 }), 3);
    expect(plan.beforeHandle(refund())).toBe('fail');
    expect(plan.tally().rules).toMatchObject({
      a: { deliveries: 1, applied: 0 },
      b: { applied: 1 },
      c: { deliveries: 1, applied: 0 },
    });
  });

  it('starts a new revision of a rule with fresh counters and ignores an older revision', () => {
    const plan = new FaultPlan({ seed: 1 });
    plan.upsert(rule({ count: 1 }), 5);
    plan.afterCommit(refund());
    plan.upsert(rule({ count: 1 }), 4);
    expect(plan.afterCommit(refund())).toBeUndefined();
    plan.upsert(rule({ count: 1 }), 6);
    expect(plan.afterCommit(refund())).toBe('drop-reply');
    plan.remove('r1');
    expect(plan.afterCommit(refund())).toBeUndefined();
    expect(plan.tally().rules.r1).toEqual({ deliveries: 0, commits: 1, applied: 1 });
  });

  it('draws rates from its seed: the same seed hits the same commands, near the asked rate', () => {
    const seed = Number(process.env.CHAOS_TEST_SEED ?? Date.now() % 2 ** 31);
    console.log(`fault-plan rate test seed ${seed} (rerun with CHAOS_TEST_SEED=${seed})`);
    const run = (s: number) => {
      const plan = new FaultPlan({ seed: s });
      plan.upsert(rule({ action: 'fail', rate: 0.3 }), 7);
      return Array.from({ length: 2_000 }, () => plan.beforeHandle(refund()) === 'fail');
    };
    const first = run(seed);
    expect(run(seed)).toEqual(first);
    expect(run(seed + 1)).not.toEqual(first);
    const share = first.filter(Boolean).length / first.length;
    expect(share).toBeGreaterThan(0.25);
    expect(share).toBeLessThan(0.35);
  });

  it('never applies a counted rule more often than its count, whatever the traffic (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.array(fc.constantFrom('s1', 's2'), { maxLength: 60 }),
        fc.nat(),
        (count, rate, sagas, seed) => {
          const plan = new FaultPlan({ seed });
          plan.upsert(rule({ action: 'drop', count, rate, sagaId: 's1' }), 1);
          let dropped = 0;
          for (const s of sagas) if (plan.beforeHandle(refund(s)) === 'drop') dropped += 1;
          const matching = sagas.filter((s) => s === 's1').length;
          expect(dropped).toBeLessThanOrEqual(Math.min(count, matching));
          if (rate === 1) expect(dropped).toBe(Math.min(count, matching));
          expect(plan.tally().rules.r1).toEqual({
            deliveries: matching,
            commits: 0,
            applied: dropped,
          });
        },
      ),
    );
  });
});

describe('parseFaultRule', () => {
  it('names the field that is wrong', () => {
    expect(() => rule({ action: 'delay' })).toThrow(/delayMs: required for action delay/);
    expect(() => rule({ pattern: 'Payment refund' })).toThrow(/pattern/);
    expect(() => rule({ rate: 1.5 })).toThrow(/rate/);
    expect(() => rule({ id: 'has space' })).toThrow(/id/);
  });
});
