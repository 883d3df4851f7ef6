/**
 * Bus spans wired in where the apps meet the bus: the requester's client (a PRODUCER span per
 * command sent, a CONSUMER span per reply handled) and the services' Nest message handlers (a
 * CONSUMER span per command handled). Typed structurally, so this package does not depend on
 * the bus package; `@seamline/bus` clients and commands fit these shapes.
 */
import type { Tracer } from '@opentelemetry/api';
import { isObservable, lastValueFrom } from 'rxjs';
import type { BusMessageInfo } from './bus-spans.ts';
import { withConsumerSpan, withProducerSpan } from './bus-spans.ts';

/** The saga headers of a send, as the bus client takes them. */
interface SendHeadersLike {
  readonly sagaId: string;
  readonly step: string;
  readonly idempotencyKey?: string;
  readonly attempt: number;
}

/** A reply as the bus client hands it to its handler. */
interface ReplyLike {
  readonly pattern: string;
  readonly sagaId: string;
  readonly step: string;
  readonly idempotencyKey: string;
  readonly attempt: number;
  readonly deliveryCount: number;
}

/**
 * The part of a bus client that sends commands and consumes replies. Method syntax on purpose:
 * a client whose reply handler takes a richer message type still fits.
 */
export interface TraceableBusClient {
  send(
    service: string,
    action: string,
    payload: unknown,
    headers: SendHeadersLike,
  ): Promise<unknown>;
  consumeReplies(requester: string, handler: (reply: ReplyLike) => Promise<void>): Promise<unknown>;
}

/**
 * The same client, with a PRODUCER span around every `send` and a CONSUMER span around every
 * reply handled. Every other member is the client's own (bound to it: clients keep private
 * state).
 */
export function tracedBusClient<C extends TraceableBusClient>(client: C, tracer: Tracer): C {
  const send: TraceableBusClient['send'] = (service, action, payload, headers) =>
    withProducerSpan(
      tracer,
      {
        pattern: `${service}.${action}`,
        sagaId: headers.sagaId,
        step: headers.step,
        attempt: headers.attempt,
        ...(headers.idempotencyKey === undefined ? {} : { idempotencyKey: headers.idempotencyKey }),
      },
      () => client.send(service, action, payload, headers),
    );
  const consumeReplies = (requester: string, handler: (reply: ReplyLike) => Promise<void>) =>
    client.consumeReplies(requester, (reply) =>
      withConsumerSpan(tracer, `${reply.pattern} reply`, reply, () => handler(reply)),
    );
  return new Proxy(client, {
    get(target, property) {
      if (property === 'send') return send;
      if (property === 'consumeReplies') return consumeReplies;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
}

/** The fields of a handled command the span records (a `BusCommand` has them all). */
interface CommandLike {
  readonly sagaId?: unknown;
  readonly step?: unknown;
  readonly idempotencyKey?: unknown;
  readonly attempt?: unknown;
  readonly deliveryCount?: unknown;
}

/** A Nest message handler as a transport server keeps it. */
type MessageHandlerLike = ((data: unknown, ctx?: unknown) => Promise<unknown>) & {
  isEventHandler?: boolean;
  extras?: Record<string, unknown>;
  next?: unknown;
};

/** A Nest transport server's handler table (`Server.getHandlers()` returns the live map). */
export interface MessageHandlerRegistry {
  getHandlers(): Map<string, MessageHandlerLike>;
}

const TRACED = Symbol('seamline.traced');

/**
 * Wraps every message handler registered on `server` so each command handled runs in a CONSUMER
 * span `process <pattern>`: its database queries, and any command it sends, are children of
 * that span. Call it once the microservice is connected (its handlers registered) and before it
 * listens. The wrapped handler settles Nest's Observable result inside the span and returns the
 * last value (or throws the filtered error), which is what the bus does with it anyway.
 */
export function traceMessageHandlers(server: MessageHandlerRegistry, tracer: Tracer): void {
  const handlers = server.getHandlers();
  for (const [pattern, handler] of handlers) {
    if (TRACED in handler) continue;
    const traced = async (data: unknown, ctx?: unknown): Promise<unknown> =>
      withConsumerSpan(tracer, pattern, commandInfo(pattern, data), async () => {
        const produced = await handler(data, ctx);
        return isObservable(produced)
          ? lastValueFrom(produced, { defaultValue: undefined })
          : produced;
      });
    handlers.set(
      pattern,
      Object.assign(traced, {
        isEventHandler: handler.isEventHandler,
        extras: handler.extras,
        next: handler.next,
        [TRACED]: true,
      }),
    );
  }
}

function commandInfo(pattern: string, data: unknown): BusMessageInfo {
  const cmd = (typeof data === 'object' && data !== null ? data : {}) as CommandLike;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  const fields = {
    sagaId: str(cmd.sagaId),
    step: str(cmd.step),
    idempotencyKey: str(cmd.idempotencyKey),
    attempt: num(cmd.attempt),
    deliveryCount: num(cmd.deliveryCount),
  };
  return {
    pattern,
    ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
  };
}
