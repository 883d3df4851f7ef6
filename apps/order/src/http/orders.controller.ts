import { Controller, Get, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { HttpAnswer, OrderService } from '../order-service.ts';
import { CLIENT_ATTEMPTS, ORDER_SERVICE } from '../order.tokens.ts';
import type { ClientAttempts } from './client-attempts.ts';
import { parseIdempotencyKey, parsePlaceOrder, preferredWaitMs } from './order-request.ts';
import { ProblemError, sendProblem, toProblem } from './problem.ts';

const STATUSES = ['PENDING', 'COMPENSATING', 'COMPLETED', 'CANCELLED'] as const;

const listQuery = z.strictObject({
  status: z.enum(STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().min(1).max(128).optional(),
});
const getQuery = z.strictObject({ waitMs: z.coerce.number().int().min(0).max(30_000).default(0) });
const orderIdParam = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._-]+$/);

/** POST /orders, GET /orders/:orderId, GET /orders. Every error is problem+json. */
@Controller('orders')
export class OrdersController {
  constructor(
    @Inject(ORDER_SERVICE) private readonly orders: OrderService,
    @Inject(CLIENT_ATTEMPTS) private readonly attempts: ClientAttempts,
  ) {}

  @Post()
  async place(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await answer(req, reply, async () => {
      if (!/^application\/(.+\+)?json\b/i.test(req.headers['content-type'] ?? '')) {
        throw new ProblemError(
          415,
          'Unsupported media type',
          'send the order as application/json',
          [{ field: 'content-type', message: 'must be application/json' }],
        );
      }
      const key = parseIdempotencyKey(req.headers['idempotency-key']);
      const result = await this.counted(key, () => {
        const body = parsePlaceOrder(req.body);
        const deadlineMs = parseDeadline(req.headers['seamline-deadline-ms']);
        return this.orders.place(
          key,
          body,
          deadlineMs,
          req.body,
          preferredWaitMs(req.headers.prefer),
        );
      });
      for (const [k, v] of Object.entries(result.headers)) void reply.header(k, v);
      await reply
        .status(result.status)
        .type(result.headers['content-type'] ?? 'application/json; charset=utf-8')
        .send(result.bodyText);
    });
  }

  /**
   * Counts the request for its key before it is answered, whatever the answer (a replay, 409,
   * 422, bad input), except one this follower forwarded: the leader that answered it counted it.
   */
  private async counted(key: string, run: () => Promise<HttpAnswer>): Promise<HttpAnswer> {
    let answer: HttpAnswer | undefined;
    try {
      answer = await run();
      return answer;
    } finally {
      if (answer?.forwarded !== true) this.attempts.record(key);
    }
  }

  @Get(':orderId')
  async get(
    @Req() req: FastifyRequest<{ Params: { orderId: string } }>,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await answer(req, reply, async () => {
      const id = orderIdParam.safeParse(req.params.orderId);
      if (!id.success)
        throw new ProblemError(
          400,
          'Invalid order id',
          'orderId must be 1-64 letters, digits, ".", "_" or "-"',
          [{ field: 'orderId', message: 'invalid' }],
        );
      const q = parseQuery(getQuery, req.query);
      await reply.send(await this.orders.get(id.data, q.waitMs));
    });
  }

  @Get()
  async list(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await answer(req, reply, async () => {
      const q = parseQuery(listQuery, req.query);
      await reply.send(await this.orders.list(q.status, q.limit, q.cursor));
    });
  }
}

async function answer(
  req: FastifyRequest,
  reply: FastifyReply,
  fn: () => Promise<void>,
): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const p = toProblem(err);
    if (p.status >= 500) req.log.error({ err }, 'request failed');
    await sendProblem(reply, p, req.url);
  }
}

function parseQuery<T>(schema: z.ZodType<T>, query: unknown): T {
  const parsed = schema.safeParse(query ?? {});
  if (parsed.success) return parsed.data;
  const errors = parsed.error.issues.map((i) => ({
    field: i.path.join('.') || 'query',
    message: i.message,
  }));
  throw new ProblemError(
    400,
    'Invalid query',
    errors.map((e) => `${e.field}: ${e.message}`).join('; '),
    errors,
  );
}

function parseDeadline(raw: string | string[] | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(Array.isArray(raw) ? raw[0] : raw);
  if (!Number.isInteger(n) || n < 1 || n > 3_600_000) {
    throw new ProblemError(
      400,
      'Invalid deadline',
      'Seamline-Deadline-Ms must be an integer number of milliseconds (1..3600000)',
      [{ field: 'Seamline-Deadline-Ms', message: 'invalid' }],
    );
  }
  return n;
}
