/**
 * The requester's side of replies: a durable consumer on `<prefix>.reply.<requester>` that hands
 * each parsed reply to an async handler and acks only after the handler resolved (the orchestrator
 * persisted the transition). A throwing handler means redelivery with backoff, up to `maxDeliver`
 * runs, then the dead-letter stream; a malformed reply goes straight to the dead-letter stream.
 */
import type { JsMsg } from '@nats-io/jetstream';
import { BusParseError, describeError } from './bus-errors.ts';
import { parseReply, type BusReply } from './bus-envelope.ts';
import type { ReplyMeta } from './bus-headers.ts';
import type { BusPublisher } from './bus-publisher.ts';
import { afterHandler, beforeHandler, type RedeliveryPolicy } from './delivery-policy.ts';
import { withRemoteTrace } from './trace-context.ts';

/** One reply as the requester sees it. */
export type BusReplyMessage = ReplyMeta & {
  readonly reply: BusReply;
  /** JetStream delivery count of this reply (1 on first delivery). */
  readonly deliveryCount: number;
};

export type ReplyHandler = (message: BusReplyMessage) => Promise<void>;

export type ReplyConsumerDeps = {
  readonly publisher: BusPublisher;
  readonly policy: RedeliveryPolicy;
  readonly random: () => number;
  readonly handler: ReplyHandler;
};

export async function processReply(msg: JsMsg, deps: ReplyConsumerDeps): Promise<void> {
  const { publisher, policy } = deps;
  const deliveryCount = msg.info.deliveryCount;
  let parsed: ReturnType<typeof parseReply>;
  try {
    parsed = parseReply(msg);
  } catch (e) {
    const reason =
      e instanceof BusParseError ? e.reason : `unexpected parse failure: ${describeError(e)}`;
    await publisher.deadLetter(msg, reason, policy);
    return;
  }
  // Replies have no deadline gate (the answer is useful even late); only the delivery limit.
  const gate = beforeHandler({
    deliveryCount,
    deadline: Number.MAX_SAFE_INTEGER,
    now: 0,
    reserveMs: 0,
    policy,
  });
  if (gate.kind === 'dead-letter') {
    await publisher.deadLetter(msg, gate.reason, policy);
    return;
  }
  let outcome: Parameters<typeof afterHandler>[0]['outcome'];
  try {
    await withRemoteTrace(parsed.meta.traceparent, () =>
      deps.handler({ ...parsed.meta, reply: parsed.reply, deliveryCount }),
    );
    outcome = { kind: 'ok', result: undefined };
  } catch (e) {
    outcome = {
      kind: 'failed',
      failure: { code: 'REPLY_HANDLER_FAILED', message: describeError(e), retryable: true },
    };
  }
  const decision = afterHandler({ outcome, deliveryCount, policy, random: deps.random });
  if (decision.kind === 'dead-letter') {
    await publisher.deadLetter(msg, decision.reason, policy);
    return;
  }
  try {
    if (decision.kind === 'nak') msg.nak(decision.delayMs);
    else msg.ack();
  } catch {
    // connection closed: the reply is redelivered after ack_wait
  }
}
