import { ORDER_LIMITS, totalLimitBreach } from '@seamline/contracts';
import { z } from 'zod';
import { ProblemError } from './problem.ts';
import type { FieldError } from './problem.ts';

/** Identifiers are plain ASCII so they are safe as record keys, log fields and label-free ids. */
const id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" or "-" only');

/**
 * The wire body of POST /orders (unknown fields are refused, not ignored). Its limits are the bus
 * contract's (ORDER_LIMITS): an order admitted here can always be turned into its commands.
 */
export const placeOrderBody = z
  .strictObject({
    customerId: id,
    items: z
      .array(
        z.strictObject({
          sku: id,
          qty: z.number().int().min(1).max(ORDER_LIMITS.maxQty),
          unitPriceCents: z.number().int().min(0).max(ORDER_LIMITS.maxUnitPriceCents),
        }),
      )
      .min(1)
      .max(ORDER_LIMITS.maxLines)
      .describe(
        `at most ${ORDER_LIMITS.maxLines} lines; the order total (sum of qty x unitPriceCents) ` +
          `at most ${ORDER_LIMITS.maxCents} cents`,
      ),
    currency: z.literal('USD'),
  })
  .superRefine((body, ctx) => {
    const breach = totalLimitBreach(body.items);
    if (breach === undefined) return;
    const what = breach.line === undefined ? 'the order total' : 'the line total';
    ctx.addIssue({
      code: 'custom',
      path: breach.line === undefined ? ['items'] : ['items', breach.line],
      message: `${what} (qty x unitPriceCents) is ${breach.cents} cents; at most ${ORDER_LIMITS.maxCents} cents`,
    });
  });

export type PlaceOrderBody = z.infer<typeof placeOrderBody>;

export function parsePlaceOrder(body: unknown): PlaceOrderBody {
  const parsed = placeOrderBody.safeParse(body);
  if (parsed.success) return parsed.data;
  const errors: FieldError[] = parsed.error.issues.map((i) => ({
    field: formatPath(i.path) || 'body',
    message:
      i.code === 'unrecognized_keys'
        ? `unknown field(s): ${(i as { keys: string[] }).keys.join(', ')}`
        : i.message,
  }));
  throw new ProblemError(
    400,
    'Invalid order',
    `the order body is invalid: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
    errors,
  );
}

/**
 * `Idempotency-Key`: 1-255 visible ASCII characters. A structured-field string
 * (`"abc"`) is accepted too, as the IETF draft writes it.
 */
export function parseIdempotencyKey(raw: string | string[] | undefined): string {
  if (raw === undefined) {
    throw new ProblemError(
      400,
      'Missing Idempotency-Key',
      'POST /orders requires an Idempotency-Key header',
      [{ field: 'Idempotency-Key', message: 'required' }],
    );
  }
  const value = Array.isArray(raw) ? raw.join(',') : raw;
  const unquoted = /^"[^"]*"$/.test(value) ? value.slice(1, -1) : value;
  if (!/^[\x21-\x7e]{1,255}$/.test(unquoted)) {
    throw new ProblemError(
      400,
      'Malformed Idempotency-Key',
      'Idempotency-Key must be 1-255 visible ASCII characters',
      [{ field: 'Idempotency-Key', message: 'must be 1-255 visible ASCII characters' }],
    );
  }
  return unquoted;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
    '',
  );
}

/** The longest `Prefer: wait=N` honoured, as for a long-poll's waitMs. */
const MAX_PREFERRED_WAIT_MS = 30_000;

/**
 * `Prefer: wait=N` (RFC 7240 section 4.3: seconds), among other preferences in one or several
 * headers. As the RFC asks, a preference that cannot be read is ignored rather than refused.
 */
export function preferredWaitMs(raw: string | string[] | undefined): number {
  if (raw === undefined) return 0;
  for (const pref of (Array.isArray(raw) ? raw.join(',') : raw).split(',')) {
    const m = /^\s*wait\s*=\s*"?(\d{1,6})"?\s*(;.*)?$/i.exec(pref);
    if (m !== null) return Math.min(Number(m[1]) * 1000, MAX_PREFERRED_WAIT_MS);
  }
  return 0;
}
