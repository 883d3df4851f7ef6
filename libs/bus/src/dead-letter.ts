/**
 * Publishes a message that will not be processed to the dead-letter stream: the original bytes and
 * headers plus the reason, the original subject and the delivery count.
 *
 * The `Nats-Msg-Id` is derived from the original's stream and sequence, so a crash between the
 * DLQ publish and the `term()` (the message comes back and is dead-lettered again) leaves one
 * dead letter within the dedup window. Original `Nats-*` headers are dropped: a copied
 * `Nats-Expected-Stream` or `Nats-Msg-Id` would make the DLQ publish fail or dedup wrongly.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import { headers, type MsgHdrs } from '@nats-io/transport-node';
import { clip } from './bus-envelope.ts';
import { BusHeader } from './bus-headers.ts';
import type { BusNaming } from './bus-naming.ts';

export type DeadLetterSource = {
  readonly subject: string;
  readonly headers: MsgHdrs | undefined;
  readonly data: Uint8Array;
  /** Stream the original was delivered from, and its sequence there. */
  readonly stream: string;
  readonly streamSequence: number;
  readonly deliveryCount: number;
};

/** Publishes the dead letter and waits for its PubAck; rejects if JetStream did not store it. */
export async function publishDeadLetter(
  js: JetStreamClient,
  bus: BusNaming,
  source: DeadLetterSource,
  reason: string,
  timeoutMs: number,
): Promise<void> {
  const h = headers();
  for (const [name, values] of source.headers ?? []) {
    if (name.toLowerCase().startsWith('nats-') || name.toLowerCase().startsWith('seamline-dlq-')) {
      continue;
    }
    for (const value of values) {
      try {
        h.append(name, value);
      } catch {
        // A header nats.js refuses to re-encode is dropped; the reason matters more than it.
      }
    }
  }
  h.set(BusHeader.dlqReason, clip(reason, 1_000));
  h.set(BusHeader.dlqSubject, clip(source.subject, 300));
  h.set(BusHeader.dlqDeliveries, String(source.deliveryCount));
  await js.publish(bus.deadLetterSubject(source.subject), source.data, {
    headers: h,
    msgID: `dlq:${source.stream}:${source.streamSequence}`,
    timeout: timeoutMs,
  });
}
