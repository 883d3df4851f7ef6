/**
 * Creates or updates the bus's streams and durable consumers at start-up, idempotently.
 *
 * Every participant runs this, so two processes starting at once must both succeed: `add` with an
 * identical config is a no-op on the server, and "already exists with another config" turns into
 * an `update` of the fields JetStream lets us change. Give every process the same options, or the
 * last one to start wins.
 */
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiError,
  ReplayPolicy,
  RetentionPolicy,
  StorageType,
  type ConsumerInfo,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { BusNaming } from './bus-naming.ts';

export type TopologyOptions = {
  readonly bus: BusNaming;
  readonly replicas: number;
  readonly maxAgeMs: number;
  readonly duplicateWindowMs: number;
};

/** Ensures the command, reply and dead-letter streams exist with the given limits. */
export async function ensureStreams(jsm: JetStreamManager, o: TopologyOptions): Promise<void> {
  const streams: [string, string, string][] = [
    [o.bus.commandStream, o.bus.commandSubjects, 'Seamline commands'],
    [o.bus.replyStream, o.bus.replySubjects, 'Seamline replies'],
    [o.bus.deadLetterStream, o.bus.deadLetterSubjects, 'Seamline dead letters'],
  ];
  for (const [name, subject, description] of streams) {
    const mutable = {
      subjects: [subject],
      description,
      max_age: nanos(o.maxAgeMs),
      duplicate_window: nanos(o.duplicateWindowMs),
      num_replicas: o.replicas,
    };
    try {
      await jsm.streams.add({
        ...mutable,
        name,
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.Old,
      });
    } catch (e) {
      if (!isAlreadyInUse(e)) throw e;
      await jsm.streams.update(name, mutable);
    }
  }
}

export type DurableOptions = {
  readonly stream: string;
  readonly durable: string;
  readonly filterSubject: string;
  readonly ackWaitMs: number;
  readonly replicas: number;
  /** Messages delivered and not yet acked, across every process sharing the durable. */
  readonly maxAckPending: number;
};

/**
 * Ensures an explicit-ack pull consumer. `max_deliver` is unlimited here: the server enforces the
 * delivery limit itself so the final failure is dead-lettered, never silently dropped.
 */
export async function ensureDurable(
  jsm: JetStreamManager,
  o: DurableOptions,
): Promise<ConsumerInfo> {
  const mutable = {
    ack_wait: nanos(o.ackWaitMs),
    max_deliver: -1,
    max_ack_pending: o.maxAckPending,
    num_replicas: o.replicas,
  };
  try {
    return await jsm.consumers.add(o.stream, {
      ...mutable,
      durable_name: o.durable,
      filter_subject: o.filterSubject,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      replay_policy: ReplayPolicy.Instant,
    });
  } catch (e) {
    if (!(e instanceof JetStreamApiError)) throw e;
    // Exists with another config (codes differ across server versions): update what may change.
    try {
      return await jsm.consumers.update(o.stream, o.durable, {
        ...mutable,
        filter_subject: o.filterSubject,
      });
    } catch (updateError) {
      throw new AggregateError([e, updateError], `cannot create or update consumer ${o.durable}`);
    }
  }
}

/** Backlog of one durable consumer, for the consumer-lag metric. */
export type ConsumerLag = {
  readonly consumer: string;
  /** Messages in the stream not yet delivered to the consumer. */
  readonly pending: number;
  /** Delivered, not yet acked. */
  readonly ackPending: number;
};

export async function readConsumerLag(
  jsm: JetStreamManager,
  stream: string,
  durable: string,
): Promise<ConsumerLag> {
  const info = await jsm.consumers.info(stream, durable);
  return { consumer: durable, pending: info.num_pending, ackPending: info.num_ack_pending };
}

/** JetStream "stream name already in use" (10058). */
function isAlreadyInUse(e: unknown): boolean {
  return e instanceof JetStreamApiError && e.code === 10058;
}
