/**
 * One delivery of one command, end to end: parse at the edge, gate on deadline and delivery
 * count, run the handler, publish the reply, and only then ack. Never throws, never leaves a
 * message without a decision (ack, nak, or dead-letter + term), whatever the bytes or the handler.
 *
 * Ordering is the point: the reply is published after the handler's promise resolved (its effect
 * committed) and the ack after the reply's PubAck. A crash anywhere before the ack means the
 * command is delivered again, which is safe because handlers are idempotent by key.
 */
import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { MessageHandler } from '@nestjs/microservices';
import { busCommand, BusContext, type BusCommand } from './bus-command.ts';
import { BusParseError, describeError, toBusFailure } from './bus-errors.ts';
import { parseCommandPayload, parseCommandRoute, type CommandRoute } from './bus-envelope.ts';
import type { HandledOutcome } from './bus-hooks.ts';
import type { ResolvedServerOptions } from './bus-options.ts';
import { BusPublisher } from './bus-publisher.ts';
import { afterHandler, beforeHandler, redeliveryDelay } from './delivery-policy.ts';
import type { HandlerOutcome, RedeliveryPolicy } from './delivery-policy.ts';
import { settleHandler } from './handler-result.ts';
import type { HopDeadlines } from './hop-deadline.ts';
import { withRemoteTrace } from './trace-context.ts';

type Admitted = { route: CommandRoute; handler: MessageHandler; payload: unknown };

const INJECTED_FAILURE: HandlerOutcome = {
  kind: 'failed',
  failure: { code: 'FAULT_INJECTED', message: 'fault injected before handling', retryable: true },
};

export class CommandDelivery {
  readonly #o: ResolvedServerOptions;
  readonly #out: BusPublisher;
  readonly #handlerFor: (pattern: string) => MessageHandler | null;
  readonly #policy: RedeliveryPolicy;
  readonly #deadlines: HopDeadlines;

  constructor(
    options: ResolvedServerOptions,
    js: JetStreamClient,
    handlerFor: (pattern: string) => MessageHandler | null,
    deadlines: HopDeadlines,
  ) {
    this.#o = options;
    this.#deadlines = deadlines;
    this.#out = new BusPublisher(js, options);
    this.#handlerFor = handlerFor;
    this.#policy = {
      maxDeliver: options.maxDeliver,
      backoffBaseMs: options.backoff.baseMs,
      backoffMaxMs: options.backoff.maxMs,
    };
  }

  async process(msg: JsMsg): Promise<void> {
    const started = performance.now();
    const admitted = await this.#admit(msg);
    const pattern = admitted.kind === 'ok' ? admitted.value.route.pattern : admitted.pattern;
    const outcome =
      admitted.kind === 'ok' ? await this.#handle(msg, admitted.value) : admitted.outcome;
    const seconds = (performance.now() - started) / 1000;
    this.#out.observe((ob) => ob.onHandled?.(pattern, outcome, seconds));
  }

  /** Parses subject, headers and payload; a bad message is dead-lettered here. */
  async #admit(
    msg: JsMsg,
  ): Promise<
    { kind: 'ok'; value: Admitted } | { kind: 'rejected'; pattern: string; outcome: HandledOutcome }
  > {
    let route: CommandRoute;
    try {
      route = parseCommandRoute(msg, this.#o.bus);
    } catch (e) {
      return {
        kind: 'rejected',
        pattern: 'unknown',
        outcome: await this.#deadLetter(msg, reasonOf(e)),
      };
    }
    if (msg.info.deliveryCount > 1) this.#out.observe((ob) => ob.onRedelivery?.(route.pattern));
    try {
      const handler = this.#handlerFor(route.pattern);
      const schema = this.#o.schemas[route.pattern];
      if (handler === null || schema === undefined || route.service !== this.#o.service) {
        throw new BusParseError(`no handler for ${route.pattern} on service ${this.#o.service}`);
      }
      return {
        kind: 'ok',
        value: { route, handler, payload: parseCommandPayload(msg.data, schema, route.pattern) },
      };
    } catch (e) {
      const outcome = await this.#deadLetter(msg, reasonOf(e));
      // The requester is known, so it also gets a terminal answer instead of waiting to time out.
      if (outcome === 'dead-letter') {
        const reply = {
          ok: false,
          code: 'BAD_COMMAND',
          message: reasonOf(e),
          retryable: false,
        } as const;
        await this.#out.reply(route, reply).catch(() => undefined);
      }
      return { kind: 'rejected', pattern: route.pattern, outcome };
    }
  }

  async #handle(msg: JsMsg, { route, handler, payload }: Admitted): Promise<HandledOutcome> {
    const deliveryCount = msg.info.deliveryCount;
    // On this host's clock, from the budget and the server's stamp (kept across redeliveries).
    const deadline = this.#deadlines.of(route.meta, msg.info.timestampNanos / 1e6);
    const build = (extra: number): BusCommand<unknown> =>
      busCommand({
        pattern: route.pattern,
        payload,
        meta: route.meta,
        deliveryCount: deliveryCount + extra,
        reserveMs: this.#o.replyReserveMs,
        clock: this.#o.clock,
        deadline,
      });
    const fault = this.#out.guard(() => this.#o.faults?.beforeHandle?.(build(0)));
    if (fault === 'drop') {
      safely(() => msg.term());
      return 'dropped';
    }
    if (typeof fault === 'object' && fault !== null && fault.delayMs > 0)
      await sleep(fault.delayMs);

    const gate = beforeHandler({
      deliveryCount,
      deadline,
      now: this.#o.clock(),
      reserveMs: this.#o.replyReserveMs,
      policy: this.#policy,
    });
    if (gate.kind === 'dead-letter') return this.#deadLetter(msg, gate.reason);
    // With `expired: 'handler'` the handler itself answers a late delivery: from its stored
    // result for the key if an earlier delivery applied the effect, else with DEADLINE_EXCEEDED.
    if (gate.kind === 'deadline' && this.#o.expired === 'refuse') {
      if (!(await this.#reply(msg, route, gate.reply))) return 'reply-failed';
      safely(() => msg.ack());
      return 'deadline';
    }

    // Each run stands for one delivery (the duplicateDelivery test switch): handler, then reply.
    let outcome = INJECTED_FAILURE;
    const runs = fault === 'fail' ? 0 : this.#o.duplicateDelivery;
    for (let i = 0; i < runs; i++) {
      const cmd = build(i);
      const ctx = new BusContext([msg.subject, cmd.deliveryCount, msg.seq]);
      outcome = await this.#withProgress(msg, cmd, () =>
        withRemoteTrace(route.meta.traceparent, () => settleHandler(handler, cmd, ctx)),
      );
      const decision = this.#decide(outcome, deliveryCount);
      if (decision.kind !== 'reply') break;
      const dropReply = this.#out.guard(() => this.#o.faults?.afterCommit?.(cmd)) === 'drop-reply';
      if (!dropReply && !(await this.#reply(msg, route, decision.reply))) return 'reply-failed';
    }
    const decision = this.#decide(outcome, deliveryCount);
    if (decision.kind === 'reply') {
      safely(() => msg.ack());
      return decision.outcome;
    }
    if (decision.kind === 'nak') {
      safely(() => msg.nak(decision.delayMs));
      return 'retry';
    }
    return this.#deadLetter(msg, decision.reason);
  }

  /**
   * Tells JetStream the command is still being worked on (every half ack-wait) so a slow handler
   * is not redelivered to a second process while it runs, but only until its deadline: a hung
   * handler must not hold the message forever.
   */
  async #withProgress<T>(msg: JsMsg, cmd: BusCommand<unknown>, run: () => Promise<T>): Promise<T> {
    const beat = setInterval(
      () => {
        if (cmd.remainingMs() > 0) safely(() => msg.working());
      },
      Math.max(50, Math.floor(this.#o.ackWaitMs / 2)),
    );
    try {
      return await run();
    } finally {
      clearInterval(beat);
    }
  }

  #decide(outcome: HandlerOutcome, deliveryCount: number) {
    return afterHandler({ outcome, deliveryCount, policy: this.#policy, random: this.#o.random });
  }

  /** Publishes a reply; on failure naks the command (redelivery re-answers it) and says so. */
  async #reply(
    msg: JsMsg,
    route: CommandRoute,
    reply: Parameters<BusPublisher['reply']>[1],
  ): Promise<boolean> {
    try {
      await this.#out.reply(route, reply);
      return true;
    } catch (e) {
      this.#o.logger?.warn(
        {
          pattern: route.pattern,
          sagaId: route.meta.sagaId,
          step: route.meta.step,
          err: describeError(e),
        },
        'reply publish failed; redelivering',
      );
      safely(() => msg.nak(redeliveryDelay(msg.info.deliveryCount, this.#policy, this.#o.random)));
      return false;
    }
  }

  /** 'retry' when the dead letter could not be stored (the message was nak'ed instead). */
  async #deadLetter(msg: JsMsg, reason: string): Promise<HandledOutcome> {
    return (await this.#out.deadLetter(msg, reason, this.#policy)) ? 'dead-letter' : 'retry';
  }
}

function reasonOf(e: unknown): string {
  return e instanceof BusParseError
    ? e.reason
    : `unexpected parse failure: ${toBusFailure(e).message}`;
}

/** ack/nak/term on a closed connection throw; without an ack the server redelivers anyway. */
function safely(f: () => void): void {
  try {
    f();
  } catch {
    // the message comes back after ack_wait
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
