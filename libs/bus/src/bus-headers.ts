/**
 * The saga headers every command and reply carries, parsed at the edge with one zod schema.
 *
 * Header lookups are case-insensitive (as in HTTP): a hand-written publisher that says
 * `seamline-saga-id` is not a reason to dead-letter a valid command.
 */
import { z } from 'zod';
import { BusParseError } from './bus-errors.ts';
import { NAME_TOKEN } from './bus-naming.ts';

/** Wire names of the bus headers. */
export const BusHeader = {
  sagaId: 'Seamline-Saga-Id',
  step: 'Seamline-Step',
  idempotencyKey: 'Seamline-Idempotency-Key',
  deadline: 'Seamline-Deadline',
  budget: 'Seamline-Budget-Ms',
  attempt: 'Seamline-Attempt',
  replyTo: 'Seamline-Reply-To',
  pattern: 'Seamline-Pattern',
  traceparent: 'traceparent',
  msgId: 'Nats-Msg-Id',
  dlqReason: 'Seamline-Dlq-Reason',
  dlqSubject: 'Seamline-Dlq-Subject',
  dlqDeliveries: 'Seamline-Dlq-Deliveries',
} as const;

/** Saga coordinates shared by a command and its reply. */
export type SagaMeta = {
  readonly sagaId: string;
  readonly step: string;
  /** Deterministic `sagaId:step:action`; the receiver's dedup key. */
  readonly idempotencyKey: string;
  /**
   * Absolute deadline, epoch milliseconds, on the clock of whoever set it. A receiver on another
   * host goes by `budgetMs` instead when the command has one (hop-deadline.ts).
   */
  readonly deadline: number;
  /** 1 for the first send, +1 per deliberate re-drive by the orchestrator. */
  readonly attempt: number;
  /** W3C trace context; absent when no tracer was active (an invalid value counts as absent). */
  readonly traceparent?: string;
};

export type CommandMeta = SagaMeta & {
  /** Requester whose reply subject (`<prefix>.reply.<replyTo>`) receives the answer. */
  readonly replyTo: string;
  /**
   * Milliseconds the sender had left when it published (`Seamline-Budget-Ms`); absent from
   * senders that predate it, whose `deadline` alone then counts.
   */
  readonly budgetMs?: number;
};

export type ReplyMeta = SagaMeta & {
  /** `<service>.<action>` of the command this reply answers. */
  readonly pattern: string;
};

/** Anything header-shaped: NATS `MsgHdrs` (iterable of name -> values) or a plain record. */
export type HeaderSource = Iterable<[string, string[]]> | Record<string, string> | undefined;

const PRINTABLE = /^[\x21-\x7e]+$/;
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const printable = (max: number) => z.string().min(1).max(max).regex(PRINTABLE, 'printable ASCII');

const sagaShape = {
  'seamline-saga-id': printable(200),
  'seamline-step': printable(64),
  'seamline-idempotency-key': printable(512),
  'seamline-deadline': z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/, 'epoch milliseconds')
    .transform(Number)
    .pipe(z.number().int().max(Number.MAX_SAFE_INTEGER)),
  'seamline-attempt': z
    .string()
    .regex(/^[1-9][0-9]{0,8}$/, 'positive integer')
    .transform(Number),
  traceparent: z.string().optional(),
};
const commandHeaders = z.object({
  ...sagaShape,
  'seamline-reply-to': z.string().regex(NAME_TOKEN, 'requester name'),
  'seamline-budget-ms': z
    .string()
    .regex(/^(0|[1-9][0-9]{0,15})$/, 'milliseconds')
    .transform(Number)
    .pipe(z.number().int().max(Number.MAX_SAFE_INTEGER))
    .optional(),
});
const replyHeaders = z.object({
  ...sagaShape,
  'seamline-pattern': z.string().regex(/^[a-z][a-z0-9_-]*\.[a-z][a-z0-9_-]*$/, 'service.action'),
});

/** Parses command headers; throws only `BusParseError`. */
export function parseCommandMeta(source: HeaderSource): CommandMeta {
  const h = parseWith(commandHeaders, source);
  const budgetMs = h['seamline-budget-ms'];
  return {
    ...sagaMeta(h),
    replyTo: h['seamline-reply-to'],
    ...(budgetMs === undefined ? {} : { budgetMs }),
  };
}

/** Parses reply headers; throws only `BusParseError`. */
export function parseReplyMeta(source: HeaderSource): ReplyMeta {
  const h = parseWith(replyHeaders, source);
  return { ...sagaMeta(h), pattern: h['seamline-pattern'] };
}

/** Header name/value pairs for a command or reply (the caller adds `Nats-Msg-Id`). */
export function metaHeaders(
  meta: SagaMeta & { replyTo?: string; pattern?: string; budgetMs?: number },
) {
  const out: [string, string][] = [
    [BusHeader.sagaId, meta.sagaId],
    [BusHeader.step, meta.step],
    [BusHeader.idempotencyKey, meta.idempotencyKey],
    [BusHeader.deadline, String(meta.deadline)],
    [BusHeader.attempt, String(meta.attempt)],
  ];
  if (meta.budgetMs !== undefined) out.push([BusHeader.budget, String(meta.budgetMs)]);
  if (meta.replyTo !== undefined) out.push([BusHeader.replyTo, meta.replyTo]);
  if (meta.pattern !== undefined) out.push([BusHeader.pattern, meta.pattern]);
  if (meta.traceparent !== undefined) out.push([BusHeader.traceparent, meta.traceparent]);
  return out;
}

/** Lower-cased header names, first value of each. Never throws on odd input. */
export function headerRecord(source: HeaderSource): Record<string, string> {
  // Null prototype: a header called "constructor" or "__proto__" is just a header.
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  if (source === undefined || source === null) return out;
  const entries: Iterable<[string, unknown]> =
    Symbol.iterator in Object(source)
      ? (source as Iterable<[string, string[]]>)
      : Object.entries(source);
  for (const [name, value] of entries) {
    const first = Array.isArray(value) ? value[0] : value;
    const key = String(name).toLowerCase();
    if (typeof first === 'string' && !Object.hasOwn(out, key)) out[key] = first;
  }
  return out;
}

function parseWith<S extends z.ZodType>(schema: S, source: HeaderSource): z.output<S> {
  let record: Record<string, string>;
  try {
    record = headerRecord(source);
  } catch {
    throw new BusParseError('headers are unreadable');
  }
  const parsed = schema.safeParse(record);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${String(i.path[0] ?? '?')}: ${i.message}`);
    throw new BusParseError(`missing or invalid headers: ${problems.join('; ')}`);
  }
  return parsed.data;
}

function sagaMeta(h: z.output<typeof commandHeaders> | z.output<typeof replyHeaders>): SagaMeta {
  const base = {
    sagaId: h['seamline-saga-id'],
    step: h['seamline-step'],
    idempotencyKey: h['seamline-idempotency-key'],
    deadline: h['seamline-deadline'],
    attempt: h['seamline-attempt'],
  };
  const tp = h.traceparent?.trim();
  return tp !== undefined && TRACEPARENT.test(tp) ? { ...base, traceparent: tp } : base;
}
