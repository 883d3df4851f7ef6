/**
 * The consuming side's outgoing messages: replies and dead letters, each awaited to its PubAck,
 * plus fenced calls into app-supplied hooks (a throwing metric hook must not take a message down
 * with it).
 */
import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { describeError } from './bus-errors.ts';
import { encodeJson, type BusReply, type CommandRoute } from './bus-envelope.ts';
import { metaHeaders } from './bus-headers.ts';
import type { BusLogger, BusObserver } from './bus-hooks.ts';
import type { BusNaming } from './bus-naming.ts';
import { publishDeadLetter } from './dead-letter.ts';
import { redeliveryDelay, type RedeliveryPolicy } from './delivery-policy.ts';
import { activeTraceparent } from './trace-context.ts';

export type PublisherOptions = {
  readonly bus: BusNaming;
  readonly publishTimeoutMs: number;
  readonly logger?: BusLogger;
  readonly observer?: BusObserver;
  readonly random?: () => number;
};

export class BusPublisher {
  readonly #js: JetStreamClient;
  readonly #o: PublisherOptions;

  constructor(js: JetStreamClient, options: PublisherOptions) {
    this.#js = js;
    this.#o = options;
  }

  /**
   * Publishes the reply to a command. The msg-id `reply:<key>:<attempt>` makes a second reply for
   * the same attempt (a redelivery after a lost ack) a JetStream duplicate within the window;
   * the orchestrator must tolerate duplicates beyond it anyway.
   */
  async reply(route: CommandRoute, reply: BusReply): Promise<void> {
    const { meta } = route;
    const h = headers();
    const traceparent = activeTraceparent() ?? meta.traceparent;
    const saga = {
      sagaId: meta.sagaId,
      step: meta.step,
      idempotencyKey: meta.idempotencyKey,
      deadline: meta.deadline,
      attempt: meta.attempt,
      pattern: route.pattern,
      ...(traceparent === undefined ? {} : { traceparent }),
    };
    for (const [name, value] of metaHeaders(saga)) h.set(name, value);
    const msgID = `reply:${meta.idempotencyKey}:${meta.attempt}`;
    await this.#js.publish(this.#o.bus.replySubject(meta.replyTo), encodeReply(reply), {
      headers: h,
      msgID,
      timeout: this.#o.publishTimeoutMs,
    });
  }

  /**
   * Dead-letters then terms `msg`. If the DLQ publish fails the message is nak'ed instead, so it
   * comes back and is dead-lettered later: a bad message is never dropped without a trace.
   * Returns whether the dead letter was stored.
   */
  async deadLetter(msg: JsMsg, reason: string, policy: RedeliveryPolicy): Promise<boolean> {
    const deliveryCount = msg.info.deliveryCount;
    try {
      await publishDeadLetter(
        this.#js,
        this.#o.bus,
        {
          subject: msg.subject,
          headers: msg.headers,
          data: msg.data,
          stream: msg.info.stream,
          streamSequence: msg.seq,
          deliveryCount,
        },
        reason,
        this.#o.publishTimeoutMs,
      );
    } catch (e) {
      this.#o.logger?.error(
        { subject: msg.subject, reason, err: describeError(e) },
        'dead-letter publish failed; redelivering',
      );
      settle(() => msg.nak(redeliveryDelay(deliveryCount, policy, this.#o.random ?? Math.random)));
      return false;
    }
    settle(() => msg.term());
    this.#o.logger?.warn(
      { subject: msg.subject, reason, deliveries: deliveryCount },
      'dead-lettered',
    );
    this.observe((ob) => ob.onDeadLetter?.(reason, msg.subject));
    return true;
  }

  /** Calls a metric hook; its failure is logged, never propagated. */
  observe(call: (observer: BusObserver) => void): void {
    if (this.#o.observer === undefined) return;
    this.guard(() => call(this.#o.observer as BusObserver));
  }

  /** Calls an app hook; a throw is logged and treated as "no answer". */
  guard<T>(call: () => T): T | undefined {
    try {
      return call();
    } catch (e) {
      this.#o.logger?.error({ err: describeError(e) }, 'bus hook threw; ignored');
      return undefined;
    }
  }
}

function encodeReply(reply: BusReply): Uint8Array {
  try {
    return encodeJson(reply);
  } catch (e) {
    // The effect committed but its result cannot travel: answer terminally rather than redeliver
    // a handler that will produce the same unserializable value every time.
    return encodeJson({
      ok: false,
      code: 'UNSERIALIZABLE_RESULT',
      message: describeError(e),
      retryable: false,
    } satisfies BusReply);
  }
}

function settle(f: () => void): void {
  try {
    f();
  } catch {
    // closed connection: the server redelivers after ack_wait
  }
}
