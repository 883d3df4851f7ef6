/**
 * Hunts HTTP error bugs: bad input reported without the field (or an unknown field reported on
 * its parent), a retryable failure answered as a 500 (callers would give up), a client error
 * from Fastify turned into a 500, and an internal error message leaking to the client.
 */
import { BadRequestException, NotFoundException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseBody, ProblemError, toProblem } from './problem-details.ts';

const body = z.strictObject({
  customers: z.number().int().min(0),
  nested: z.strictObject({ a: z.string() }).optional(),
});

function problemOf(f: () => unknown): ProblemError {
  try {
    f();
  } catch (err) {
    if (err instanceof ProblemError) return err;
    throw err;
  }
  throw new Error('no problem raised');
}

describe('parseBody', () => {
  it('returns the parsed body, treating a missing body as {}', () => {
    expect(parseBody(body, { customers: 2 })).toEqual({ customers: 2 });
    expect(problemOf(() => parseBody(body, undefined)).extra).toMatchObject({
      errors: [{ field: 'customers' }],
    });
  });

  it('names every bad field, an unknown one by its own path', () => {
    const p = problemOf(() => parseBody(body, { customers: -1, stok: 5, nested: { a: 1, b: 2 } }));
    expect(p.status).toBe(400);
    const fields = (p.extra['errors'] as { field: string }[]).map((e) => e.field).sort();
    expect(fields).toEqual(['customers', 'nested.a', 'nested.b', 'stok']);
    expect(p.detail).toContain('customers: ');
  });
});

describe('toProblem', () => {
  it('keeps a ProblemError as it is', () => {
    const p = new ProblemError(409, 'Conflict', 'taken', { code: 'X' });
    expect(toProblem(p)).toBe(p);
  });

  it('keeps the status of Nest HTTP exceptions and Fastify client errors', () => {
    expect(toProblem(new NotFoundException('no route'))).toMatchObject({
      status: 404,
      title: 'Not Found',
    });
    expect(toProblem(new BadRequestException())).toMatchObject({ status: 400 });
    const fastify = Object.assign(new Error('Unexpected end of JSON input'), { statusCode: 400 });
    expect(toProblem(fastify)).toMatchObject({
      status: 400,
      detail: 'Unexpected end of JSON input',
    });
  });

  it('answers a retryable failure with 503 and its code', () => {
    const err = Object.assign(new Error('2 of 3 replicas down'), {
      code: 'QUORUM_UNAVAILABLE',
      retryable: true,
    });
    expect(toProblem(err)).toMatchObject({
      status: 503,
      extra: { code: 'QUORUM_UNAVAILABLE' },
    });
  });

  it('answers anything else with a 500 that keeps the code but not the message', () => {
    const err = Object.assign(new Error('password=hunter2'), { code: 'BOOM' });
    const p = toProblem(err);
    expect(p).toMatchObject({ status: 500, extra: { code: 'BOOM' } });
    expect(p.detail).not.toContain('hunter2');
    expect(toProblem(new Error('x')).extra).toEqual({});
  });
});
