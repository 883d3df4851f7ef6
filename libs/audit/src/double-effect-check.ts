import { parseEffectKey } from '@seamline/contracts';
import type { EffectKind, Violation } from './audit-report.ts';
import { violation } from './audit-report.ts';
import type { EffectEntry } from './books.ts';
import { findDuplicateEffects } from './duplicate-effects.ts';

/**
 * Invariant 1, no double effect. A ledger entry's key is its idempotency key
 * (`<orderId>:<step>:<action>`), and the table's primary key already makes one entry per key;
 * what the primary key cannot stop is a SECOND key for the same effect (a re-decided charge
 * under another key, a retry that minted a new key). So the rule (duplicate-effects.ts, which
 * the effect services' incremental detector applies too) is counted per order and kind:
 * at most one charge, one refund, one reserve and one release per order. A ledger entry filed
 * under a key that is not its own order's idempotency key for its kind is reported too: the
 * idempotency check that should have caught a duplicate never looked at it.
 *
 * Run once on the merged view and once on every replica on its own, since a replica may hold a
 * duplicate that the merged view hides (or shows only because two replicas disagree).
 */
export interface DoubleEffectFindings {
  readonly violations: readonly Violation[];
  /** `<orderId>:<kind>` of every order and kind with more than one entry. */
  readonly duplicated: ReadonlySet<string>;
}

export function checkDoubleEffects(
  effects: readonly EffectEntry[],
  seenOn: string,
): DoubleEffectFindings {
  const violations: Violation[] = [];
  for (const entry of effects) {
    const parsed = parseEffectKey(entry.effectKey);
    if (parsed?.sagaId !== entry.orderId || parsed.action !== entry.kind) {
      violations.push(
        violation(
          'misfiled-effect',
          entry.key,
          `a ${entry.kind} of order ${entry.orderId} is stored under ${entry.key}, not under ` +
            `its idempotency key ledger:${expectedKey(entry.orderId, entry.kind)}`,
          [seenOn],
        ),
      );
    }
  }
  const duplicated = new Set<string>();
  for (const { effect, orderId, kind, entries } of findDuplicateEffects(effects)) {
    duplicated.add(effect);
    violations.push(
      violation(
        'double-effect',
        `order:${orderId}`,
        `${entries.length} ${kind} entries for order ${orderId}: ${entries.map((e) => e.key).join(', ')}` +
          amounts(entries),
        [seenOn],
      ),
    );
  }
  return { violations, duplicated };
}

function expectedKey(orderId: string, kind: EffectKind): string {
  const step = kind === 'charge' || kind === 'refund' ? 'charge' : 'reserve';
  return `${orderId}:${step}:${kind}`;
}

function amounts(entries: readonly EffectEntry[]): string {
  const cents = entries.map((e) => e.amountCents).filter((c): c is number => c !== undefined);
  return cents.length > 0 ? ` (${cents.map((c) => `${c} cents`).join(', ')})` : '';
}
