import { z } from 'zod';
import { placeOrderBody } from './order-request.ts';

const problem = {
  description: 'RFC 9457 problem details',
  content: {
    'application/problem+json': {
      schema: {
        type: 'object',
        properties: {
          type: { type: 'string' },
          title: { type: 'string' },
          status: { type: 'integer' },
          detail: { type: 'string' },
          instance: { type: 'string' },
          errors: {
            type: 'array',
            items: {
              type: 'object',
              properties: { field: { type: 'string' }, message: { type: 'string' } },
            },
          },
        },
      },
    },
  },
};

const order = {
  type: 'object',
  properties: {
    orderId: { type: 'string' },
    status: { type: 'string', enum: ['PENDING', 'COMPENSATING', 'COMPLETED', 'CANCELLED'] },
    reason: { type: 'string', enum: ['OUT_OF_STOCK', 'PAYMENT_DECLINED', 'DEADLINE_EXCEEDED'] },
    customerId: { type: 'string' },
    items: { type: 'array', items: { type: 'object' } },
    totalCents: { type: 'integer' },
    currency: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    deadline: { type: 'string', format: 'date-time' },
    steps: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          at: { type: 'string' },
          event: { type: 'string' },
          detail: { type: 'string' },
        },
      },
    },
  },
};

/** The OpenAPI 3.1 document served at /docs (the request schema is generated from the zod schema the API validates with). */
export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Seamline order API',
      version: '0.1.0',
      description:
        'Place orders; each runs as a saga that reserves stock, charges, and compensates on failure.',
    },
    paths: {
      '/orders': {
        post: {
          summary: 'Place an order',
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: true,
              schema: { type: 'string', minLength: 1, maxLength: 255 },
              description:
                '1-255 visible ASCII characters; the same key and body replay the first response',
            },
            {
              name: 'Seamline-Deadline-Ms',
              in: 'header',
              required: false,
              schema: { type: 'integer', minimum: 1 },
              description: 'a saga deadline shorter than the default',
            },
            {
              name: 'Prefer',
              in: 'header',
              required: false,
              schema: { type: 'string', example: 'wait=5' },
              description:
                'RFC 7240 `wait=N` (seconds, at most 30): answer when the order is terminal, ' +
                'if it is within N seconds (200), else 202 as without it; the answer carries ' +
                '`Preference-Applied`',
            },
          ],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: z.toJSONSchema(placeOrderBody) } },
          },
          responses: {
            '200': {
              description:
                'With Prefer: wait=N, the order finished within N seconds: the terminal order',
              content: { 'application/json': { schema: order } },
            },
            '202': {
              description: 'Accepted; Location names the order',
              content: { 'application/json': { schema: order } },
            },
            '400': problem,
            '409': problem,
            '413': problem,
            '422': problem,
            '429': problem,
            '503': problem,
          },
        },
        get: {
          summary: 'List orders',
          parameters: [
            {
              name: 'status',
              in: 'query',
              schema: {
                type: 'string',
                enum: ['PENDING', 'COMPENSATING', 'COMPLETED', 'CANCELLED'],
              },
            },
            {
              name: 'limit',
              in: 'query',
              schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
            },
            { name: 'cursor', in: 'query', schema: { type: 'string' } },
          ],
          responses: {
            '200': { description: 'A page of orders and the next cursor' },
            '400': problem,
          },
        },
      },
      '/orders/{orderId}': {
        get: {
          summary: 'Get an order with its step history',
          parameters: [
            { name: 'orderId', in: 'path', required: true, schema: { type: 'string' } },
            {
              name: 'waitMs',
              in: 'query',
              schema: { type: 'integer', minimum: 0, maximum: 30000 },
              description: 'hold the request until the order is terminal or the time is up',
            },
          ],
          responses: {
            '200': { description: 'The order', content: { 'application/json': { schema: order } } },
            '400': problem,
            '404': problem,
          },
        },
      },
    },
  };
}
