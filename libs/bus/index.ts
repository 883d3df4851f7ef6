/**
 * @seamline/bus: commands and replies over NATS JetStream, as a NestJS custom transport.
 * See docs/adr/0003-bus-and-redrive.md for the delivery guarantees and why there is no outbox.
 */
export { JetStreamServer, JETSTREAM_TRANSPORT } from './src/jetstream-server.ts';
export { BusClient, idempotencyKeyFor } from './src/bus-client.ts';
export type { SendHeaders, SendReceipt, ReplySubscription } from './src/bus-client.ts';
export type { BusReplyMessage, ReplyHandler } from './src/reply-consumer.ts';
export { BusContext } from './src/bus-command.ts';
export type { BusCommand } from './src/bus-command.ts';
export {
  busReplySchema,
  parseCommandPayload,
  parseCommandRoute,
  parseReply,
} from './src/bus-envelope.ts';
export type { BusReply, CommandRoute, ParsedReply, RawBusMessage } from './src/bus-envelope.ts';
export { BusHeader, parseCommandMeta, parseReplyMeta } from './src/bus-headers.ts';
export type { CommandMeta, HeaderSource, ReplyMeta, SagaMeta } from './src/bus-headers.ts';
export {
  BusConfigError,
  BusDeadlineError,
  BusError,
  BusParseError,
  BusPublishError,
  RetryableCommandError,
  TerminalCommandError,
  toBusFailure,
} from './src/bus-errors.ts';
export type { BusFailure } from './src/bus-errors.ts';
export { BusExceptionFilter } from './src/bus-exception-filter.ts';
export type { BusFaults, BusLogger, BusObserver, HandledOutcome } from './src/bus-hooks.ts';
export { busNaming } from './src/bus-naming.ts';
export type { BusNaming, BusNamingOptions } from './src/bus-naming.ts';
export type {
  BusClientOptions,
  BusStreamOptions,
  CommandSchemas,
  JetStreamServerOptions,
} from './src/bus-options.ts';
export type { ConsumerLag } from './src/bus-topology.ts';
