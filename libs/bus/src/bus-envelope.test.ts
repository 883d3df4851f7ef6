/**
 * Hunts: a malformed bus message that crashes the consumer (any throw other than BusParseError
 * escapes the delivery path), headers accepted with the wrong type, a missing header not named in
 * the dead-letter reason, and a payload schema that is bypassed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BusParseError } from './bus-errors.ts';
import {
  encodeJson,
  parseCommandPayload,
  parseCommandRoute,
  parseReply,
  type RawBusMessage,
} from './bus-envelope.ts';
import { BusHeader, headerRecord, metaHeaders, parseCommandMeta } from './bus-headers.ts';
import { busNaming } from './bus-naming.ts';

const naming = busNaming();
const charge = z.object({ orderId: z.string().min(1), amountCents: z.number().int().positive() });
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

const goodHeaders = (): Record<string, string> => ({
  [BusHeader.sagaId]: 'saga-1',
  [BusHeader.step]: 'charge',
  [BusHeader.idempotencyKey]: 'saga-1:charge:charge',
  [BusHeader.deadline]: '1800000000000',
  [BusHeader.attempt]: '2',
  [BusHeader.replyTo]: 'order',
  [BusHeader.traceparent]: TRACEPARENT,
});
const command = (over: Partial<RawBusMessage> = {}): RawBusMessage => ({
  subject: 'seamline.cmd.payment.charge',
  headers: goodHeaders(),
  data: encodeJson({ orderId: 'o-1', amountCents: 500 }),
  ...over,
});
const reasonOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(BusParseError);
    return (e as BusParseError).reason;
  }
  throw new Error('expected a BusParseError');
};

describe('command parsing', () => {
  it('turns a valid command into its route, saga headers and typed payload', () => {
    const route = parseCommandRoute(command(), naming);
    expect(route).toEqual({
      service: 'payment',
      action: 'charge',
      pattern: 'payment.charge',
      meta: {
        sagaId: 'saga-1',
        step: 'charge',
        idempotencyKey: 'saga-1:charge:charge',
        deadline: 1_800_000_000_000,
        attempt: 2,
        replyTo: 'order',
        traceparent: TRACEPARENT,
      },
    });
    expect(parseCommandPayload(command().data, charge, route.pattern)).toEqual({
      orderId: 'o-1',
      amountCents: 500,
    });
  });

  it('reads NATS-style multi-value headers and ignores header-name case', () => {
    const iterable: [string, string[]][] = Object.entries(goodHeaders()).map(([k, v]) => [
      k.toUpperCase(),
      [v, 'ignored'],
    ]);
    expect(parseCommandMeta(iterable).attempt).toBe(2);
  });

  it('hole 8: reads the budget header, and takes a command without one (an older sender)', () => {
    expect(parseCommandMeta({ ...goodHeaders(), [BusHeader.budget]: '4990' }).budgetMs).toBe(4990);
    expect(parseCommandMeta({ ...goodHeaders(), [BusHeader.budget]: '0' }).budgetMs).toBe(0);
    expect(parseCommandMeta(goodHeaders())).not.toHaveProperty('budgetMs');
    const meta = parseCommandMeta({ ...goodHeaders(), [BusHeader.budget]: '4990' });
    const written = Object.fromEntries(metaHeaders(meta));
    expect(written).toMatchObject({
      [BusHeader.budget]: '4990',
      [BusHeader.deadline]: '1800000000000',
    });
    expect(parseCommandMeta(written)).toEqual(meta);
  });

  it('treats an invalid traceparent as absent instead of rejecting the command', () => {
    const meta = parseCommandMeta({ ...goodHeaders(), traceparent: 'not-a-trace' });
    expect(meta.traceparent).toBeUndefined();
    expect(meta.sagaId).toBe('saga-1');
  });

  it('names every missing header in the reason', () => {
    const h = goodHeaders();
    delete h[BusHeader.deadline];
    delete h[BusHeader.replyTo];
    const reason = reasonOf(() => parseCommandRoute(command({ headers: h }), naming));
    expect(reason).toContain('seamline-deadline');
    expect(reason).toContain('seamline-reply-to');
  });

  it('rejects headers with the wrong type', () => {
    for (const [name, value] of [
      [BusHeader.deadline, 'tomorrow'],
      [BusHeader.deadline, '-5'],
      [BusHeader.budget, '-1'],
      [BusHeader.budget, '1.5'],
      [BusHeader.budget, 'soon'],
      [BusHeader.attempt, '0'],
      [BusHeader.attempt, '1.5'],
      [BusHeader.replyTo, 'Order Service'],
      [BusHeader.sagaId, ''],
      [BusHeader.sagaId, 'has space'],
    ] as const) {
      const reason = reasonOf(() => parseCommandMeta({ ...goodHeaders(), [name]: value }));
      expect(reason).toContain(name.toLowerCase());
    }
  });

  it('rejects a subject that is not a command subject', () => {
    expect(
      reasonOf(() => parseCommandRoute(command({ subject: 'seamline.cmd.payment' }), naming)),
    ).toMatch(/not a command subject/);
    expect(
      reasonOf(() => parseCommandRoute(command({ subject: 'other.cmd.payment.charge' }), naming)),
    ).toMatch(/not a command subject/);
  });

  it('rejects garbage bytes, non-JSON, empty bodies and schema mismatches with distinct reasons', () => {
    expect(
      reasonOf(() =>
        parseCommandPayload(new Uint8Array([0xff, 0xfe, 0x00]), charge, 'payment.charge'),
      ),
    ).toMatch(/UTF-8/);
    expect(
      reasonOf(() =>
        parseCommandPayload(new TextEncoder().encode('{"orderId":'), charge, 'payment.charge'),
      ),
    ).toMatch(/not JSON/);
    expect(reasonOf(() => parseCommandPayload(new Uint8Array(), charge, 'payment.charge'))).toMatch(
      /empty/,
    );
    const mismatch = reasonOf(() =>
      parseCommandPayload(encodeJson({ orderId: 'o', amountCents: -1 }), charge, 'payment.charge'),
    );
    expect(mismatch).toMatch(/payload does not match payment\.charge/);
    expect(mismatch).toContain('amountCents');
  });

  it('turns a schema that throws into a reason, not a crash', () => {
    const hostile = z.unknown().transform(() => {
      throw new TypeError('boom');
    });
    expect(reasonOf(() => parseCommandPayload(encodeJson({}), hostile, 'payment.charge'))).toMatch(
      /threw: boom/,
    );
  });
});

describe('reply parsing', () => {
  const replyHeaders = () => {
    const h: Record<string, string> = { ...goodHeaders(), [BusHeader.pattern]: 'payment.charge' };
    delete h[BusHeader.replyTo];
    return h;
  };

  it('parses both reply shapes', () => {
    const ok = parseReply({
      subject: 'seamline.reply.order',
      headers: replyHeaders(),
      data: encodeJson({ ok: true, result: { n: 1 } }),
    });
    expect(ok.reply).toEqual({ ok: true, result: { n: 1 } });
    expect(ok.meta.pattern).toBe('payment.charge');
    const failed = parseReply({
      subject: 'seamline.reply.order',
      headers: replyHeaders(),
      data: encodeJson({ ok: false, code: 'DECLINED', message: 'no funds', retryable: false }),
    });
    expect(failed.reply).toEqual({
      ok: false,
      code: 'DECLINED',
      message: 'no funds',
      retryable: false,
    });
  });

  it('rejects a reply body that is not a BusReply', () => {
    const reason = reasonOf(() =>
      parseReply({ subject: 'x', headers: replyHeaders(), data: encodeJson({ ok: 'yes' }) }),
    );
    expect(reason).toMatch(/not a BusReply/);
  });
});

describe('parsing never throws anything but BusParseError', () => {
  const seed = Number(process.env['FC_SEED'] ?? Date.now() % 2 ** 31);
  console.log(`bus-envelope property seed=${seed} (rerun with FC_SEED=${seed})`);
  const headerName = fc.oneof(
    fc.constantFrom(...Object.values(BusHeader), 'SEAMLINE-ATTEMPT'),
    fc.string(),
  );
  const headerValue = fc.oneof(
    fc.string(),
    fc.integer().map(String),
    fc.constantFrom('', ' ', '1e3', '9'.repeat(40)),
  );
  const headers = fc.oneof(
    fc.dictionary(headerName, headerValue),
    fc.constant(undefined),
    fc.array(fc.tuple(headerName, fc.array(headerValue)), { maxLength: 12 }),
    fc
      .constant(goodHeaders())
      .chain((g) => fc.dictionary(headerName, headerValue).map((d) => ({ ...g, ...d }))),
  );
  const body = fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc.jsonValue().map((v) => encodeJson(v)),
    fc.constant(new TextEncoder().encode('['.repeat(20_000))),
  );
  const subject = fc.oneof(
    fc.string(),
    fc.constantFrom('seamline.cmd.payment.charge', 'seamline.cmd..x', 'seamline.cmd.a.b.c'),
  );

  it('for commands and replies, whatever the subject, headers and bytes', () => {
    fc.assert(
      fc.property(subject, headers, body, (s, h, data) => {
        for (const attempt of [
          () =>
            parseCommandRoute({ subject: s, headers: h as RawBusMessage['headers'], data }, naming),
          () => parseCommandPayload(data, charge, 'payment.charge'),
          () => parseReply({ subject: s, headers: h as RawBusMessage['headers'], data }),
          () => headerRecord(h as RawBusMessage['headers']),
        ]) {
          try {
            attempt();
          } catch (e) {
            if (!(e instanceof BusParseError)) throw e;
            expect(e.reason.length).toBeGreaterThan(0);
          }
        }
      }),
      { seed, numRuns: 400 },
    );
  });
});
