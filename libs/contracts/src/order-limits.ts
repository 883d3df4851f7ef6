/**
 * The size limits of an order, shared by the HTTP edge that admits orders and the bus contract
 * that carries their effects. They live in one place because a gap between the two is a saga
 * that was accepted with 202 and whose command can never be built: the edge must refuse what the
 * bus cannot carry.
 */
export const ORDER_LIMITS = Object.freeze({
  /** Lines per order. */
  maxLines: 100,
  /** Units of one line. */
  maxQty: 1_000_000,
  /** Price of one unit, in cents. */
  maxUnitPriceCents: 100_000_000,
  /**
   * Any amount of money on the bus, an order's total included: the largest integer a JSON number
   * (an IEEE double) holds exactly, so no hop can round a charge.
   */
  maxCents: Number.MAX_SAFE_INTEGER,
});

/**
 * Exact total of `qty × unitPriceCents` over the lines, as a bigint: the sum of lines at the
 * limits overflows a double's exact range, and a rounded total could slip under the limit.
 */
export function orderTotalCents(
  items: readonly { readonly qty: number; readonly unitPriceCents: number }[],
): bigint {
  return items.reduce((sum, i) => sum + BigInt(i.qty) * BigInt(i.unitPriceCents), 0n);
}

/** The first limit the order's money breaks, or undefined when the bus can carry it. */
export function totalLimitBreach(
  items: readonly { readonly qty: number; readonly unitPriceCents: number }[],
): { readonly line?: number; readonly cents: bigint } | undefined {
  const max = BigInt(ORDER_LIMITS.maxCents);
  for (const [line, i] of items.entries()) {
    const cents = BigInt(i.qty) * BigInt(i.unitPriceCents);
    if (cents > max) return { line, cents };
  }
  const cents = orderTotalCents(items);
  return cents > max ? { cents } : undefined;
}
