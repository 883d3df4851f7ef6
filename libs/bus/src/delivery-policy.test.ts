/**
 * Hunts: work started after its deadline, a handler's remaining time not strictly below the
 * caller's, a retryable failure that is retried forever or dead-lettered too early, a terminal
 * failure that is redelivered, and a backoff that exceeds its cap or ignores "retry after".
 */
import { describe, expect, it } from 'vitest';
import { busCommand } from './bus-command.ts';
import { TerminalCommandError, RetryableCommandError, toBusFailure } from './bus-errors.ts';
import {
  afterHandler,
  beforeHandler,
  redeliveryDelay,
  type RedeliveryPolicy,
} from './delivery-policy.ts';

const policy: RedeliveryPolicy = { maxDeliver: 5, backoffBaseMs: 100, backoffMaxMs: 1_000 };
const retryable = {
  kind: 'failed',
  failure: { code: 'DB_DOWN', message: 'db down', retryable: true },
} as const;

describe('before the handler', () => {
  it('never starts work whose deadline has passed, and answers DEADLINE_EXCEEDED', () => {
    const gate = beforeHandler({
      deliveryCount: 1,
      deadline: 1_000,
      now: 1_000,
      reserveMs: 0,
      policy,
    });
    expect(gate).toMatchObject({
      kind: 'deadline',
      reply: { ok: false, code: 'DEADLINE_EXCEEDED', retryable: false },
    });
  });

  it('counts the reply reserve against the deadline', () => {
    expect(
      beforeHandler({ deliveryCount: 1, deadline: 1_000, now: 995, reserveMs: 10, policy }).kind,
    ).toBe('deadline');
    expect(
      beforeHandler({ deliveryCount: 1, deadline: 1_000, now: 980, reserveMs: 10, policy }),
    ).toEqual({
      kind: 'handle',
      remainingMs: 10,
    });
  });

  it('dead-letters a delivery beyond maxDeliver (the previous final delivery left no outcome)', () => {
    const gate = beforeHandler({
      deliveryCount: 6,
      deadline: 10_000,
      now: 0,
      reserveMs: 0,
      policy,
    });
    expect(gate.kind).toBe('dead-letter');
    expect(gate.kind === 'dead-letter' && gate.reason).toMatch(/^max deliveries exceeded/);
    expect(
      beforeHandler({ deliveryCount: 5, deadline: 10_000, now: 0, reserveMs: 0, policy }).kind,
    ).toBe('handle');
  });

  it('gives the handler strictly less time than the caller had', () => {
    let now = 5_000;
    const callerRemaining = 10_000 - now;
    const cmd = busCommand({
      pattern: 'payment.charge',
      payload: {},
      meta: {
        sagaId: 's',
        step: 'charge',
        idempotencyKey: 's:charge:charge',
        deadline: 10_000,
        attempt: 1,
        replyTo: 'order',
      },
      deliveryCount: 1,
      reserveMs: 1,
      clock: () => now,
    });
    expect(cmd.remainingMs()).toBeLessThan(callerRemaining);
    expect(cmd.deadline).toBeLessThan(10_000);
    now = 9_999;
    expect(cmd.remainingMs()).toBe(0);
  });
});

describe('after the handler', () => {
  const random = () => 0.5;

  it('replies and acks a success', () => {
    expect(
      afterHandler({ outcome: { kind: 'ok', result: 7 }, deliveryCount: 1, policy, random }),
    ).toEqual({
      kind: 'reply',
      reply: { ok: true, result: 7 },
      outcome: 'ok',
    });
  });

  it('answers a terminal failure instead of redelivering it, even on the first delivery', () => {
    const failure = toBusFailure(new TerminalCommandError('DECLINED', 'insufficient funds'));
    expect(
      afterHandler({ outcome: { kind: 'failed', failure }, deliveryCount: 1, policy, random }),
    ).toEqual({
      kind: 'reply',
      reply: { ok: false, code: 'DECLINED', message: 'insufficient funds', retryable: false },
      outcome: 'terminal',
    });
  });

  it('naks a retryable failure until maxDeliver, then dead-letters it with the last error', () => {
    for (let n = 1; n < policy.maxDeliver; n++) {
      expect(afterHandler({ outcome: retryable, deliveryCount: n, policy, random }).kind).toBe(
        'nak',
      );
    }
    expect(afterHandler({ outcome: retryable, deliveryCount: 5, policy, random })).toEqual({
      kind: 'dead-letter',
      reason: 'max deliveries exceeded: DB_DOWN: db down',
    });
  });

  it('honours a handler retry-after hint as the minimum delay', () => {
    const failure = toBusFailure(new RetryableCommandError('OVERLOADED', 'busy', 5_000));
    const decision = afterHandler({
      outcome: { kind: 'failed', failure },
      deliveryCount: 1,
      policy,
      random,
    });
    expect(decision).toEqual({ kind: 'nak', delayMs: 5_000 });
  });
});

describe('redelivery backoff', () => {
  it('grows exponentially under full jitter and never exceeds the cap', () => {
    expect(redeliveryDelay(1, policy, () => 0.999)).toBe(99);
    expect(redeliveryDelay(3, policy, () => 0.999)).toBe(399);
    expect(redeliveryDelay(40, policy, () => 0.999)).toBe(999);
    expect(redeliveryDelay(40, policy, () => 0)).toBe(0);
  });
});

describe('error classification', () => {
  it('treats unknown errors and Nest generic errors as retryable, keeps structured codes', () => {
    expect(toBusFailure(new Error('x'))).toEqual({
      code: 'INTERNAL',
      message: 'x',
      retryable: true,
    });
    expect(toBusFailure({ status: 'error', message: 'Internal server error' }).retryable).toBe(
      true,
    );
    expect(toBusFailure({ code: 'FENCED', message: 'stale', terminal: true })).toEqual({
      code: 'FENCED',
      message: 'stale',
      retryable: false,
    });
    expect(toBusFailure('just a string')).toEqual({
      code: 'INTERNAL',
      message: 'just a string',
      retryable: true,
    });
  });
});
