/**
 * A fault rule: which bus commands it hits, what it does to them, how often and for how long.
 * Rules are JSON in the chaos bucket (`rule.<id>`), parsed here at the storage edge.
 *
 * Actions, by where they act on a delivery (see BusFaults in @seamline/bus):
 * - before the handler: `drop` (consumed, no effect, no reply: lost in transit), `fail` (a
 *   retryable failure: the bus naks and redelivers), `delay` (handling starts `delayMs` later),
 *   `stall` (held until `delayMs`, the rule's `until` or the command's deadline, whichever comes
 *   first; the deadline gate then decides);
 * - after the effect committed: `drop-reply` (the command is acked but its reply is never
 *   published: a lost response).
 */
import { z } from 'zod';

export const FAULT_ACTIONS = ['drop', 'fail', 'delay', 'stall', 'drop-reply'] as const;
export type FaultAction = (typeof FAULT_ACTIONS)[number];

/** Actions decided when a delivery arrives, before the handler runs. */
export const BEFORE_HANDLE_ACTIONS: readonly FaultAction[] = ['drop', 'fail', 'delay', 'stall'];

const ID = /^[A-Za-z0-9_-]{1,64}$/;
/** `service.action`, `service.*` or `*`. */
const PATTERN = /^(\*|[a-z][a-z0-9_-]*\.(\*|[a-z][a-z0-9_-]*))$/;

export const faultRuleSchema = z
  .object({
    id: z.string().regex(ID, 'letters, digits, _ and - only (1-64)'),
    pattern: z.string().regex(PATTERN, 'service.action, service.* or *'),
    action: z.enum(FAULT_ACTIONS),
    /** Share of matching commands the fault hits, drawn from a seeded PRNG. */
    rate: z.number().min(0).max(1),
    /** Hit this many commands, then stop (counted by each consuming process). */
    count: z.number().int().positive().optional(),
    /** `delay`: how long; `stall`: the longest hold. */
    delayMs: z.number().int().positive().max(3_600_000).optional(),
    /** Epoch ms after which the rule no longer fires. */
    until: z.number().int().positive().optional(),
    /** Only this saga's commands. */
    sagaId: z.string().min(1).max(200).optional(),
    createdAt: z.number().int().nonnegative(),
  })
  .superRefine((rule, ctx) => {
    if (rule.action === 'delay' && rule.delayMs === undefined) {
      ctx.addIssue({ code: 'custom', path: ['delayMs'], message: 'required for action delay' });
    }
  });

export type FaultRule = z.infer<typeof faultRuleSchema>;

/** What a caller writes; the id, the rate and the creation time have defaults. */
export type FaultRuleInput = Omit<FaultRule, 'id' | 'rate' | 'createdAt'> &
  Partial<Pick<FaultRule, 'id' | 'rate' | 'createdAt'>>;

/** A malformed rule, naming the field. */
export class FaultRuleError extends Error {
  readonly code = 'FAULT_RULE_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'FaultRuleError';
  }
}

/** Validates a rule (from a caller or from the bucket); throws `FaultRuleError` naming the field. */
export function parseFaultRule(value: unknown): FaultRule {
  const parsed = faultRuleSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new FaultRuleError(
      `invalid fault rule: ${issue?.path.join('.') || 'rule'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}

/** True when the rule's selector (pattern, saga) covers the command. */
export function ruleMatches(
  rule: FaultRule,
  command: { pattern: string; sagaId: string },
): boolean {
  if (rule.sagaId !== undefined && rule.sagaId !== command.sagaId) return false;
  if (rule.pattern === '*') return true;
  const [service, action] = rule.pattern.split('.');
  const [cmdService, cmdAction] = command.pattern.split('.');
  return service === cmdService && (action === '*' || action === cmdAction);
}

/** One line for logs and `fault list`. */
export function describeRule(rule: FaultRule): string {
  const parts = [`${rule.id}: ${rule.action} ${rule.pattern}`];
  if (rule.sagaId !== undefined) parts.push(`saga ${rule.sagaId}`);
  if (rule.rate < 1) parts.push(`rate ${rule.rate}`);
  if (rule.count !== undefined) parts.push(`count ${rule.count}`);
  if (rule.delayMs !== undefined) parts.push(`${rule.delayMs} ms`);
  if (rule.until !== undefined) parts.push(`until ${new Date(rule.until).toISOString()}`);
  return parts.join(', ');
}
