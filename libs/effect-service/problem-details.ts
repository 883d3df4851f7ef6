import { STATUS_CODES } from 'node:http';
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import { Catch, HttpException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';

/**
 * RFC 9457 problem details for every HTTP error of an effect service: bad input names the field, and
 * nothing (unknown route, malformed JSON, a failing store) answers anything but problem+json.
 * Nest routes Fastify's own errors (body parsing, 404) through the same global filter.
 */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'ProblemError';
  }
}

/** Parses a request body with `schema`, or throws a 400 problem naming each bad field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const errors = parsed.error.issues.map((i) => ({ field: fieldOf(i), message: i.message }));
  throw new ProblemError(
    400,
    'Invalid request body',
    errors.map((e) => `${e.field}: ${e.message}`).join('; '),
    { errors },
  );
}

function fieldOf(issue: z.core.$ZodIssue): string {
  const base = issue.path.join('.');
  // An unknown field is reported on its parent; name the field itself.
  if (issue.code === 'unrecognized_keys')
    return issue.keys.map((k) => (base === '' ? k : `${base}.${k}`)).join(',');
  return base === '' ? '(body)' : base;
}

export function sendProblem(reply: FastifyReply, url: string, p: ProblemError): void {
  void reply
    .status(p.status)
    .type('application/problem+json')
    .send({
      type: 'about:blank',
      title: p.title,
      status: p.status,
      detail: p.detail,
      instance: url,
      ...p.extra,
    });
}

export function toProblem(err: unknown): ProblemError {
  if (err instanceof ProblemError) return err;
  if (err instanceof HttpException) {
    return new ProblemError(err.getStatus(), STATUS_CODES[err.getStatus()] ?? 'Error', err.message);
  }
  const status = (err as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new ProblemError(status, STATUS_CODES[status] ?? 'Bad request', (err as Error).message);
  }
  const code = (err as { code?: unknown }).code;
  if ((err as { retryable?: unknown }).retryable === true) {
    return new ProblemError(503, 'Temporarily unavailable', (err as Error).message, { code });
  }
  return new ProblemError(500, 'Internal error', 'the request failed; see the service log', {
    ...(typeof code === 'string' ? { code } : {}),
  });
}

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendProblem(
      http.getResponse<FastifyReply>(),
      http.getRequest<FastifyRequest>().url,
      toProblem(exception),
    );
  }
}
