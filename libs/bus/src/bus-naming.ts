/**
 * Where every bus message lives: stream names, subjects and durable consumer names.
 *
 * One function derives all of them from two prefixes so that tests can run the whole bus under a
 * private namespace (`T1A2B_CMD`, `t1a2b.cmd.>`) on a shared NATS cluster without interfering.
 */

/** A service, action or requester name: one NATS subject token, safe as a durable name too. */
export const NAME_TOKEN = /^[a-z][a-z0-9_-]{0,63}$/;

/** Prefixes for streams and subjects. */
export type BusNamingOptions = {
  /**
   * Prefix of the three stream names (`<prefix>_CMD`, `<prefix>_REPLY`, `<prefix>_DLQ`).
   * @default 'SEAMLINE'
   */
  streamPrefix?: string;
  /**
   * First subject token of every bus subject (`<prefix>.cmd.>`, ...).
   * @default 'seamline'
   */
  subjectPrefix?: string;
};

export type BusNaming = {
  readonly commandStream: string;
  readonly replyStream: string;
  readonly deadLetterStream: string;
  readonly commandSubjects: string;
  readonly replySubjects: string;
  readonly deadLetterSubjects: string;
  /** `seamline.cmd.<service>.<action>` */
  commandSubject(service: string, action: string): string;
  /** `seamline.cmd.<service>.>`: the filter of the service's durable consumer. */
  serviceFilter(service: string): string;
  /** `seamline.cmd.<service>`: in the command stream, outside every filter (clock-probe.ts). */
  clockProbeSubject(service: string): string;
  /** `seamline.reply.<requester>` */
  replySubject(requester: string): string;
  /** `seamline.dlq.<original subject without the prefix>` */
  deadLetterSubject(originalSubject: string): string;
  /** Splits `seamline.cmd.<service>.<action>`; undefined for anything else. */
  parseCommandSubject(subject: string): { service: string; action: string } | undefined;
  /** Durable consumer for a service's commands. */
  commandDurable(service: string): string;
  /** Durable consumer for a requester's replies: `<requester>-replies`. */
  replyDurable(requester: string): string;
};

const STREAM_PREFIX = /^[A-Z][A-Z0-9_]{0,31}$/;
const SUBJECT_PREFIX = /^[a-z][a-z0-9_-]{0,31}$/;

/** Derives every name from the prefixes; throws a RangeError naming the bad prefix. */
export function busNaming(options: BusNamingOptions = {}): BusNaming {
  const streamPrefix = options.streamPrefix ?? 'SEAMLINE';
  const p = options.subjectPrefix ?? 'seamline';
  if (!STREAM_PREFIX.test(streamPrefix)) {
    throw new RangeError(`naming.streamPrefix must match ${STREAM_PREFIX}, got "${streamPrefix}"`);
  }
  if (!SUBJECT_PREFIX.test(p)) {
    throw new RangeError(`naming.subjectPrefix must match ${SUBJECT_PREFIX}, got "${p}"`);
  }
  const token = (what: string, value: string): string => {
    if (!NAME_TOKEN.test(value))
      throw new RangeError(`${what} must match ${NAME_TOKEN}: "${value}"`);
    return value;
  };
  return {
    commandStream: `${streamPrefix}_CMD`,
    replyStream: `${streamPrefix}_REPLY`,
    deadLetterStream: `${streamPrefix}_DLQ`,
    commandSubjects: `${p}.cmd.>`,
    replySubjects: `${p}.reply.>`,
    deadLetterSubjects: `${p}.dlq.>`,
    commandSubject: (service, action) =>
      `${p}.cmd.${token('service', service)}.${token('action', action)}`,
    serviceFilter: (service) => `${p}.cmd.${token('service', service)}.>`,
    clockProbeSubject: (service) => `${p}.cmd.${token('service', service)}`,
    replySubject: (requester) => `${p}.reply.${token('requester', requester)}`,
    deadLetterSubject: (original) =>
      original.startsWith(`${p}.`) ? `${p}.dlq.${original.slice(p.length + 1)}` : `${p}.dlq.other`,
    parseCommandSubject: (subject) => {
      const parts = subject.split('.');
      if (parts.length !== 4 || parts[0] !== p || parts[1] !== 'cmd') return undefined;
      const [, , service, action] = parts as [string, string, string, string];
      if (!NAME_TOKEN.test(service) || !NAME_TOKEN.test(action)) return undefined;
      return { service, action };
    },
    commandDurable: (service) => token('service', service),
    replyDurable: (requester) => `${token('requester', requester)}-replies`,
  };
}
