/**
 * The requester's end of the bus: publish commands (awaiting JetStream's PubAck) and consume
 * replies from a durable consumer. It never waits for a reply inline: the orchestrator persists
 * each saga transition before `send` and re-drives pending steps from its own state, so a lost
 * command or a lost reply only costs time.
 *
 * `Nats-Msg-Id` of a command is `<idempotencyKey>:<attempt>`: an accidental double publish of the
 * same attempt (a PubAck lost, the publish retried) is a JetStream duplicate, while a deliberate
 * re-drive carries `attempt + 1` and is delivered; the receiver's idempotency store dedups it.
 */
import { jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { BusConfigError, BusDeadlineError, BusPublishError, describeError } from './bus-errors.ts';
import { encodeJson } from './bus-envelope.ts';
import { metaHeaders, parseCommandMeta, type SagaMeta } from './bus-headers.ts';
import { nestBusLogger } from './bus-hooks.ts';
import {
  resolveClientOptions,
  type BusClientOptions,
  type ResolvedClientOptions,
} from './bus-options.ts';
import { BusPublisher } from './bus-publisher.ts';
import { ConsumeLoop } from './consume-loop.ts';
import { budgetFor } from './hop-deadline.ts';
import { ensureDurable, ensureStreams, readConsumerLag, type ConsumerLag } from './bus-topology.ts';
import { processReply, type ReplyHandler } from './reply-consumer.ts';
import { activeTraceparent } from './trace-context.ts';

/** Saga headers of a command. */
export type SendHeaders = {
  readonly sagaId: string;
  readonly step: string;
  /** @default `${sagaId}:${step}:${action}` */
  readonly idempotencyKey?: string;
  /**
   * Absolute deadline, epoch ms, on this client's `clock`. A passed deadline is refused before
   * publishing. It travels as the budget left at publish time (`Seamline-Budget-Ms`), which
   * receivers on other hosts go by, and as is (`Seamline-Deadline`) for receivers before that.
   */
  readonly deadline: number;
  /** 1 for the first send, +1 per re-drive. */
  readonly attempt: number;
};

/** JetStream's receipt for a stored command. */
export type SendReceipt = {
  readonly subject: string;
  readonly seq: number;
  /** True when JetStream already held this `Nats-Msg-Id` (same key and attempt). */
  readonly duplicate: boolean;
  readonly msgId: string;
};

export type ReplySubscription = { stop(): Promise<void> };

/** The deterministic idempotency key of a saga step: `sagaId:step:action`. */
export function idempotencyKeyFor(sagaId: string, step: string, action: string): string {
  return `${sagaId}:${step}:${action}`;
}

export class BusClient {
  readonly #o: ResolvedClientOptions;
  readonly #nc: NatsConnection;
  readonly #ownsConnection: boolean;
  readonly #jsm: JetStreamManager;
  readonly #js: JetStreamClient;
  readonly #loops = new Map<string, ConsumeLoop>();

  private constructor(
    o: ResolvedClientOptions,
    nc: NatsConnection,
    owns: boolean,
    jsm: JetStreamManager,
  ) {
    this.#o = o;
    this.#nc = nc;
    this.#ownsConnection = owns;
    this.#jsm = jsm;
    this.#js = jsm.jetstream();
  }

  /** Connects (or adopts `options.connection`) and ensures the bus streams exist. */
  static async connect(options: BusClientOptions): Promise<BusClient> {
    const resolved = resolveClientOptions(options);
    const o = {
      ...resolved,
      logger: resolved.logger ?? nestBusLogger(`BusClient:${resolved.requester}`),
    };
    const nc =
      options.connection ??
      (await connect({
        servers: o.servers,
        name: o.connectionName ?? `seamline-bus-${o.requester}`,
      }));
    try {
      const jsm = await jetstreamManager(nc);
      await ensureStreams(jsm, o);
      return new BusClient(o, nc, options.connection === undefined, jsm);
    } catch (e) {
      if (options.connection === undefined) await nc.close();
      throw e;
    }
  }

  /**
   * Publishes `<prefix>.cmd.<service>.<action>` and waits for JetStream to store it.
   * @throws BusConfigError bad names, headers or an unserializable payload (a caller bug)
   * @throws BusDeadlineError the deadline already passed (nothing was sent)
   * @throws BusPublishError no PubAck (retryable: same attempt, same msg-id, no duplicate)
   */
  async send<P>(
    service: string,
    action: string,
    payload: P,
    sendHeaders: SendHeaders,
  ): Promise<SendReceipt> {
    const o = this.#o;
    let subject: string;
    let body: Uint8Array;
    let meta: SagaMeta;
    try {
      subject = o.bus.commandSubject(service, action);
      body = encodeJson(payload);
      const traceparent = activeTraceparent();
      meta = {
        sagaId: sendHeaders.sagaId,
        step: sendHeaders.step,
        idempotencyKey:
          sendHeaders.idempotencyKey ??
          idempotencyKeyFor(sendHeaders.sagaId, sendHeaders.step, action),
        deadline: sendHeaders.deadline,
        attempt: sendHeaders.attempt,
        ...(traceparent === undefined ? {} : { traceparent }),
      };
      // Round-trip through the receiver's parser: never publish what the server would dead-letter.
      parseCommandMeta(Object.fromEntries(metaHeaders({ ...meta, replyTo: o.requester })));
    } catch (e) {
      throw new BusConfigError(`send ${service}.${action}: ${describeError(e)}`);
    }
    const now = o.clock();
    if (meta.deadline <= now) throw new BusDeadlineError(meta.deadline, now);
    const budgetMs = budgetFor(meta.deadline, now);
    const h = headers();
    for (const [name, value] of metaHeaders({ ...meta, replyTo: o.requester, budgetMs }))
      h.set(name, value);
    const msgId = `${meta.idempotencyKey}:${meta.attempt}`;
    try {
      const ack = await this.#js.publish(subject, body, {
        headers: h,
        msgID: msgId,
        expect: { streamName: o.bus.commandStream },
        timeout: o.publishTimeoutMs,
      });
      return { subject, seq: ack.seq, duplicate: ack.duplicate, msgId };
    } catch (e) {
      throw new BusPublishError(subject, e);
    }
  }

  /**
   * Starts (or resumes) the durable `<requester>-replies` consumer. Run it only where replies
   * should be processed (the orchestrator's leader); every process sharing it splits the replies.
   */
  async consumeReplies(requester: string, handler: ReplyHandler): Promise<ReplySubscription> {
    const o = this.#o;
    const durable = o.bus.replyDurable(requester);
    if (this.#loops.has(durable))
      throw new BusConfigError(`already consuming replies for ${requester}`);
    await ensureDurable(this.#jsm, {
      stream: o.bus.replyStream,
      durable,
      filterSubject: o.bus.replySubject(requester),
      ackWaitMs: o.ackWaitMs,
      replicas: o.replicas,
      maxAckPending: Math.max(1_000, o.concurrency * 4),
    });
    const publisher = new BusPublisher(this.#js, { ...o, random: Math.random });
    const policy = {
      maxDeliver: o.maxDeliver,
      backoffBaseMs: o.backoff.baseMs,
      backoffMaxMs: o.backoff.maxMs,
    };
    const loop = await ConsumeLoop.start(this.#js, {
      stream: o.bus.replyStream,
      durable,
      concurrency: o.concurrency,
      logger: o.logger,
      process: (msg) => processReply(msg, { publisher, policy, random: Math.random, handler }),
    });
    this.#loops.set(durable, loop);
    return {
      stop: async () => {
        if (this.#loops.get(durable) !== loop) return;
        this.#loops.delete(durable);
        await loop.stop(o.ackWaitMs);
      },
    };
  }

  /** Backlog of every reply consumer this client runs. */
  async consumerLag(): Promise<ConsumerLag[]> {
    return Promise.all(
      [...this.#loops.keys()].map((durable) =>
        readConsumerLag(this.#jsm, this.#o.bus.replyStream, durable),
      ),
    );
  }

  /** The NATS connection (owned by the client unless it was passed in). */
  unwrap(): NatsConnection {
    return this.#nc;
  }

  /** Stops reply consumers (waiting for running handlers) and closes an owned connection. */
  async close(): Promise<void> {
    const loops = [...this.#loops.values()];
    this.#loops.clear();
    await Promise.all(loops.map((l) => l.stop(this.#o.ackWaitMs)));
    if (this.#ownsConnection && !this.#nc.isClosed())
      await this.#nc.drain().catch(() => this.#nc.close());
  }
}
