import { ORDER_LIMITS } from '@seamline/contracts';
import type { EffectKind, OrderStatus, Violation } from './audit-report.ts';
import { violation } from './audit-report.ts';
import type { Books, EffectEntry, OrderFact } from './books.ts';
import { formatUnits, sameUnits } from './books.ts';

/**
 * Invariant 2, no lost effect, order by order (on the merged view):
 *
 *   COMPLETED  ⇒ exactly one reserve and one charge, no release and no refund; the charge is
 *                the order's total from the order's customer, the reserve its items.
 *   CANCELLED  ⇒ every effect that took effect was undone: a charge has its refund (same amount,
 *                same customer), a reserve its release (same units); nothing was undone that
 *                never happened.
 *   PENDING / COMPENSATING ⇒ listed; a violation when every order must have finished.
 *
 * An order retention deleted (ADR 0017) is known by its outcome only: COMPLETED ⇒ a reserve and a
 * charge, nothing undone; CANCELLED ⇒ every effect undone. Amounts are no longer checkable.
 *
 * An effect whose order the order service does not know is an orphan. Counts above one are
 * left to the double-effect check, so one fault is reported once.
 */
export interface OutcomeFindings {
  readonly violations: readonly Violation[];
  readonly nonTerminal: readonly { orderId: string; status: OrderStatus }[];
}

type EffectsOf = Record<EffectKind, EffectEntry[]>;

export function effectsByOrder(effects: readonly EffectEntry[]): Map<string, EffectsOf> {
  const out = new Map<string, EffectsOf>();
  for (const entry of effects) {
    let of = out.get(entry.orderId);
    if (!of) out.set(entry.orderId, (of = { charge: [], refund: [], reserve: [], release: [] }));
    of[entry.kind].push(entry);
  }
  return out;
}

export function checkOrderOutcomes(
  books: Pick<Books, 'orders' | 'effects'> &
    Partial<Pick<Books, 'unreadableOrders' | 'prunedOrders'>>,
  options: { expectTerminal: boolean },
): OutcomeFindings {
  const violations: Violation[] = [];
  const nonTerminal: { orderId: string; status: OrderStatus }[] = [];
  const byOrder = effectsByOrder(books.effects);
  const none: EffectsOf = { charge: [], refund: [], reserve: [], release: [] };
  for (const order of books.orders) {
    const of = byOrder.get(order.orderId) ?? none;
    switch (order.status) {
      case 'COMPLETED':
        violations.push(...completed(order, of));
        break;
      case 'CANCELLED':
        violations.push(...cancelled(order, of));
        break;
      default:
        nonTerminal.push({ orderId: order.orderId, status: order.status });
        if (options.expectTerminal) {
          // Such a saga can never finish by itself: say why and what ends it.
          const why = order.overLimit
            ? `: its total of ${order.totalCents} cents is beyond what the bus carries ` +
              `(${ORDER_LIMITS.maxCents}), so its commands cannot be built; end it with ` +
              `\`npm run sagas -- quarantine ${order.orderId}\``
            : '';
          violations.push(
            violation(
              'not-terminal',
              order.key,
              `order ${order.orderId} is still ${order.status}${why}`,
            ),
          );
        }
    }
  }
  for (const pruned of books.prunedOrders ?? []) {
    const of = byOrder.get(pruned.orderId) ?? none;
    const missing =
      pruned.status === 'COMPLETED'
        ? [
            ...(['reserve', 'charge'] as const)
              .filter((k) => of[k].length === 0)
              .map((k) => `no ${k}`),
            ...(['release', 'refund'] as const)
              .filter((k) => of[k].length > 0)
              .map((k) => `${of[k].length} ${k}(s)`),
          ]
        : [
            ...(of.charge.length > 0 && of.refund.length === 0 ? ['charge without refund'] : []),
            ...(of.reserve.length > 0 && of.release.length === 0
              ? ['reserve without release']
              : []),
            ...(of.refund.length > 0 && of.charge.length === 0 ? ['refund without charge'] : []),
            ...(of.release.length > 0 && of.reserve.length === 0
              ? ['release without reserve']
              : []),
          ];
    if (missing.length > 0) {
      violations.push(
        violation(
          pruned.status === 'COMPLETED' ? 'incomplete-order' : 'uncompensated-effect',
          pruned.key,
          `pruned ${pruned.status} order ${pruned.orderId}: ${missing.join(', ')}`,
        ),
      );
    }
  }
  const known = new Set([
    ...books.orders.map((o) => o.orderId),
    ...(books.unreadableOrders ?? []),
    ...(books.prunedOrders ?? []).map((o) => o.orderId),
  ]);
  for (const entry of books.effects) {
    if (!known.has(entry.orderId)) {
      violations.push(
        violation('orphan-effect', entry.key, `a ${entry.kind} for unknown order ${entry.orderId}`),
      );
    }
  }
  return { violations, nonTerminal };
}

function completed(order: OrderFact, of: EffectsOf): Violation[] {
  const out: Violation[] = [];
  const wrong = (['reserve', 'charge'] as const).filter((k) => of[k].length === 0);
  const undone = (['release', 'refund'] as const).filter((k) => of[k].length > 0);
  if (wrong.length > 0 || undone.length > 0) {
    const parts = [...wrong.map((k) => `no ${k}`), ...undone.map((k) => `${of[k].length} ${k}(s)`)];
    out.push(
      violation(
        'incomplete-order',
        order.key,
        `COMPLETED order ${order.orderId}: ${parts.join(', ')}`,
      ),
    );
  }
  const charge = of.charge[0];
  if (
    charge &&
    (charge.amountCents !== order.totalCents || charge.customerId !== order.customerId)
  ) {
    out.push(
      violation(
        'amount-mismatch',
        charge.key,
        `charged ${charge.amountCents} cents to ${charge.customerId}; order ${order.orderId} ` +
          `is ${order.totalCents} cents for ${order.customerId}`,
      ),
    );
  }
  const reserve = of.reserve[0];
  if (reserve && !sameUnits(reserve.items ?? [], order.items)) {
    out.push(
      violation(
        'amount-mismatch',
        reserve.key,
        `reserved ${formatUnits(reserve.items ?? [])}; order ${order.orderId} has ${formatUnits(order.items)}`,
      ),
    );
  }
  return out;
}

function cancelled(order: OrderFact, of: EffectsOf): Violation[] {
  const out: Violation[] = [];
  const pairs = [
    ['charge', 'refund'],
    ['reserve', 'release'],
  ] as const;
  for (const [effect, undo] of pairs) {
    const done = of[effect][0];
    const undoneBy = of[undo][0];
    if (done && !undoneBy) {
      out.push(
        violation(
          'uncompensated-effect',
          done.key,
          `CANCELLED order ${order.orderId} (${order.reason ?? 'no reason'}) kept its ${effect}: no ${undo}`,
        ),
      );
    } else if (!done && undoneBy) {
      out.push(
        violation(
          'compensation-without-effect',
          undoneBy.key,
          `${undo} for order ${order.orderId}, which has no ${effect}`,
        ),
      );
    } else if (done && undoneBy && !undoes(done, undoneBy)) {
      out.push(
        violation(
          'amount-mismatch',
          undoneBy.key,
          `${undo} of order ${order.orderId} does not match its ${effect}: ${describe(undoneBy)} vs ${describe(done)}`,
        ),
      );
    }
  }
  return out;
}

function undoes(effect: EffectEntry, undo: EffectEntry): boolean {
  if (effect.kind === 'charge') {
    return effect.amountCents === undo.amountCents && effect.customerId === undo.customerId;
  }
  return sameUnits(effect.items ?? [], undo.items ?? []);
}

function describe(entry: EffectEntry): string {
  return entry.items
    ? formatUnits(entry.items)
    : `${entry.amountCents} cents for ${entry.customerId}`;
}
