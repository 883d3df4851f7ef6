/**
 * Wire edge of the bus: turns a raw JetStream message (subject, headers, bytes) into a typed
 * command or reply, or into a `BusParseError` whose reason goes to the dead-letter stream.
 *
 * Every function here throws nothing but `BusParseError`, whatever the bytes: a handler's schema
 * that throws, invalid UTF-8, JSON nested too deep — all become a reason, never a crash.
 */
import { z } from 'zod';
import { BusParseError, describeError } from './bus-errors.ts';
import {
  parseCommandMeta,
  parseReplyMeta,
  type CommandMeta,
  type HeaderSource,
  type ReplyMeta,
} from './bus-headers.ts';
import type { BusNaming } from './bus-naming.ts';

/** What the requester receives for a command. */
export type BusReply<R = unknown> =
  | { readonly ok: true; readonly result: R }
  | {
      readonly ok: false;
      readonly code: string;
      readonly message: string;
      readonly retryable: boolean;
    };

export const busReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({
    ok: z.literal(false),
    code: z.string().min(1).max(200),
    message: z.string().max(10_000),
    retryable: z.boolean(),
  }),
]);

/** A raw message as the transport hands it over. */
export type RawBusMessage = {
  readonly subject: string;
  readonly headers: HeaderSource;
  readonly data: Uint8Array;
};

/** A command whose subject and headers are valid; the payload is not parsed yet. */
export type CommandRoute = {
  readonly service: string;
  readonly action: string;
  /** `<service>.<action>`: the `@MessagePattern` of its handler. */
  readonly pattern: string;
  readonly meta: CommandMeta;
};

export type ParsedReply = { readonly meta: ReplyMeta; readonly reply: BusReply };

/** Subject + headers of a command. Throws `BusParseError`. */
export function parseCommandRoute(msg: RawBusMessage, naming: BusNaming): CommandRoute {
  const route = safely(() => naming.parseCommandSubject(msg.subject));
  if (route === undefined) {
    throw new BusParseError(`subject "${clip(msg.subject, 120)}" is not a command subject`);
  }
  const meta = parseCommandMeta(msg.headers);
  return { ...route, pattern: `${route.service}.${route.action}`, meta };
}

/** Decodes the JSON body and checks it against the pattern's schema. Throws `BusParseError`. */
export function parseCommandPayload<S extends z.ZodType>(
  data: Uint8Array,
  schema: S,
  pattern: string,
): z.output<S> {
  const json = decodeJson(data);
  let parsed: ReturnType<S['safeParse']>;
  try {
    parsed = schema.safeParse(json) as ReturnType<S['safeParse']>;
  } catch (e) {
    throw new BusParseError(`payload schema of ${pattern} threw: ${clip(describeError(e), 200)}`);
  }
  if (!parsed.success) {
    throw new BusParseError(`payload does not match ${pattern}: ${issues(parsed.error)}`);
  }
  return parsed.data as z.output<S>;
}

/** Headers + body of a reply. Throws `BusParseError`. */
export function parseReply(msg: RawBusMessage): ParsedReply {
  const meta = parseReplyMeta(msg.headers);
  const parsed = busReplySchema.safeParse(decodeJson(msg.data));
  if (!parsed.success)
    throw new BusParseError(`reply body is not a BusReply: ${issues(parsed.error)}`);
  const r = parsed.data;
  const reply: BusReply = r.ok
    ? { ok: true, result: r.result }
    : { ok: false, code: r.code, message: r.message, retryable: r.retryable };
  return { meta, reply };
}

/** Encodes a value as the JSON body of a bus message. */
export function encodeJson(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value ?? null));
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeJson(data: Uint8Array): unknown {
  if (!(data instanceof Uint8Array) || data.length === 0) throw new BusParseError('body is empty');
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    throw new BusParseError(`body is not valid UTF-8 (${data.length} bytes)`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new BusParseError(`body is not JSON: ${clip(describeError(e), 200)}`);
  }
}

function issues(error: z.ZodError): string {
  return clip(
    error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; '),
    400,
  );
}

function safely<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

/** Shortens text for a header value: one line of printable ASCII, bounded length. */
export function clip(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').replace(/[^\x20-\x7e]/g, '?');
  return line.length <= max ? line : `${line.slice(0, max - 3)}...`;
}
