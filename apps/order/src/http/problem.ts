/**
 * RFC 9457 problem details: every error the HTTP API answers has this shape and the
 * `application/problem+json` content type, and names the offending field where there is one.
 */
import type { FastifyReply } from 'fastify';

export interface FieldError {
  /** JSON pointer-ish path of the field, e.g. `items[2].qty`, or a header name. */
  readonly field: string;
  readonly message: string;
}

export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: readonly FieldError[] = [],
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(detail);
    this.name = 'ProblemError';
  }
}

const TYPES: Record<number, string> = {
  400: 'bad-request',
  404: 'not-found',
  409: 'conflict',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  422: 'idempotency-key-reused',
  429: 'too-many-requests',
  500: 'internal',
  503: 'unavailable',
};

export function problemBody(p: ProblemError, instance: string): Record<string, unknown> {
  return {
    type: `https://seamline.dev/problems/${TYPES[p.status] ?? 'error'}`,
    title: p.title,
    status: p.status,
    detail: p.detail,
    instance,
    ...(p.errors.length > 0 ? { errors: p.errors } : {}),
  };
}

export async function sendProblem(
  reply: FastifyReply,
  p: ProblemError,
  instance: string,
): Promise<void> {
  for (const [k, v] of Object.entries(p.headers)) void reply.header(k, v);
  await reply.status(p.status).type('application/problem+json').send(problemBody(p, instance));
}

/** Maps anything thrown while serving a request to a problem; unknown errors become a 500. */
export function toProblem(err: unknown): ProblemError {
  if (err instanceof ProblemError) return err;
  const e = err as {
    statusCode?: number;
    code?: string;
    message?: string;
    status?: number;
    getStatus?: () => number;
  };
  const status = e.statusCode ?? e.getStatus?.() ?? e.status;
  if (e.code === 'FST_ERR_CTP_INVALID_JSON' || (status === 400 && /JSON/i.test(e.message ?? ''))) {
    return new ProblemError(
      400,
      'Malformed JSON',
      `the request body is not valid JSON: ${e.message ?? ''}`,
      [{ field: 'body', message: 'invalid JSON' }],
    );
  }
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) {
    return new ProblemError(413, 'Payload too large', 'the request body exceeds the limit', [
      { field: 'body', message: 'too large' },
    ]);
  }
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415) {
    return new ProblemError(415, 'Unsupported media type', 'send the body as application/json', [
      { field: 'content-type', message: 'must be application/json' },
    ]);
  }
  if (e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return new ProblemError(400, 'Empty body', 'a JSON body is required', [
      { field: 'body', message: 'required' },
    ]);
  }
  if (
    e.code === 'QUORUM_INDETERMINATE' ||
    e.code === 'QUORUM_UNAVAILABLE' ||
    e.code === 'FENCED' ||
    e.code === 'NOT_LEADER'
  ) {
    return new ProblemError(
      503,
      'Temporarily unavailable',
      `storage or leadership is not available right now (${e.code}); retry with the same Idempotency-Key`,
      [],
      { 'Retry-After': retryAfterSeconds() },
    );
  }
  if (status === 404) return new ProblemError(404, 'Not found', e.message ?? 'no such resource');
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new ProblemError(status, 'Bad request', e.message ?? 'bad request');
  }
  return new ProblemError(
    500,
    'Internal error',
    'the request failed unexpectedly; it is safe to retry with the same Idempotency-Key',
  );
}

/**
 * Retry-After for a refusal many clients meet at once (shed at capacity, no leader): 1 to 3
 * seconds, spread so that the clients turned away together do not all come back in the same
 * second and meet the same refusal.
 */
export function retryAfterSeconds(random: () => number = Math.random): string {
  return String(1 + Math.min(2, Math.floor(random() * 3)));
}
