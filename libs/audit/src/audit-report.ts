/**
 * What the auditor hands back: every violation of the design brief's invariants 1 (no double
 * effect) and 2 (no lost effect) it found, with the record it is about and where it was seen,
 * plus the counts a summary needs. Plain data, so it serialises to `--json` unchanged.
 */

export type Invariant = 'no-double-effect' | 'no-lost-effect';

export type Rule =
  /** Two or more ledger entries of one kind for one order (a second charge, reserve, ...). */
  | 'double-effect'
  /** A ledger entry whose key is not the idempotency key of its own order and kind. */
  | 'misfiled-effect'
  /** Replicas hold one version of a record with different contents: repair can never converge. */
  | 'replica-conflict'
  /** Replicas still disagree about a record after anti-entropy ran. */
  | 'divergence'
  /** A COMPLETED order without exactly one reservation and one charge, or with a compensation. */
  | 'incomplete-order'
  /** A CANCELLED order with an effect that was never undone. */
  | 'uncompensated-effect'
  /** A refund or release with no charge or reservation to undo: an invented effect. */
  | 'compensation-without-effect'
  /** An effect whose amount or items differ from what its order (or undone effect) says. */
  | 'amount-mismatch'
  /** An order still PENDING or COMPENSATING where every order must have finished. */
  | 'not-terminal'
  /** An effect for an order the order service does not know. */
  | 'orphan-effect'
  | 'unknown-account'
  | 'unknown-sku'
  /** initial - charges + refunds differs from the balance. */
  | 'balance-mismatch'
  /** initial - reserved + released differs from the units available. */
  | 'stock-mismatch'
  /** A record the auditor must read does not have the expected shape. */
  | 'malformed-record';

export const INVARIANT_OF: Readonly<Record<Rule, Invariant>> = {
  'double-effect': 'no-double-effect',
  'misfiled-effect': 'no-double-effect',
  'replica-conflict': 'no-double-effect',
  divergence: 'no-double-effect',
  'incomplete-order': 'no-lost-effect',
  'uncompensated-effect': 'no-lost-effect',
  'compensation-without-effect': 'no-lost-effect',
  'amount-mismatch': 'no-lost-effect',
  'not-terminal': 'no-lost-effect',
  'orphan-effect': 'no-lost-effect',
  'unknown-account': 'no-lost-effect',
  'unknown-sku': 'no-lost-effect',
  'balance-mismatch': 'no-lost-effect',
  'stock-mismatch': 'no-lost-effect',
  'malformed-record': 'no-lost-effect',
};

/** The highest-version view of all replicas, as opposed to one replica's own rows. */
export const MERGED = 'merged';

export interface Violation {
  readonly invariant: Invariant;
  readonly rule: Rule;
  /** The record or order it is about: `order:<id>`, `ledger:<effectKey>`, `account:<id>`, ... */
  readonly key: string;
  readonly detail: string;
  /** Replica names on which it was seen, and/or {@link MERGED}. */
  readonly seenOn: readonly string[];
}

export function violation(
  rule: Rule,
  key: string,
  detail: string,
  seenOn: readonly string[] = [MERGED],
): Violation {
  return { invariant: INVARIANT_OF[rule], rule, key, detail, seenOn };
}

export type OrderStatus = 'PENDING' | 'COMPENSATING' | 'COMPLETED' | 'CANCELLED';
export type EffectKind = 'charge' | 'refund' | 'reserve' | 'release';
export type ServiceDatabase = 'order' | 'payment' | 'inventory';

export interface AuditCounts {
  orders: number;
  byStatus: Record<OrderStatus, number>;
  cancelledByReason: Record<string, number>;
  /** Ledger entries in the merged view. */
  effects: Record<EffectKind, number>;
  /** (order, kind) pairs with more than one ledger entry, on any replica or merged. */
  duplicateEffects: number;
  accounts: number;
  skus: number;
  /** Records in the merged view, per service database. */
  records: Record<ServiceDatabase, number>;
  /** Keys on which the reachable replicas disagreed when they were read. */
  divergentKeys: number;
  /** Keys anti-entropy found divergent and repaired before the read (0 without repair). */
  repairedKeys: number;
  /** Sum of the charges of COMPLETED orders, and the sum of their totals: must be equal. */
  completedChargedCents: number;
  completedTotalCents: number;
}

export interface DivergentKey {
  readonly database: ServiceDatabase;
  readonly domain: string;
  readonly key: string;
  /** Each reachable replica's version, `null` where the record is missing. */
  readonly versions: readonly { replica: string; version: string | null }[];
}

export interface ReplicaCoverage {
  readonly database: ServiceDatabase;
  /** The database name on the instances. */
  readonly name: string;
  readonly read: readonly string[];
  readonly unreachable: readonly { replica: string; reason: string }[];
}

export interface AuditReport {
  /** No violations on the replicas that could be read. */
  ok: boolean;
  violations: Violation[];
  counts: AuditCounts;
  /** Orders not yet COMPLETED or CANCELLED (a violation only when terminal states were expected). */
  nonTerminal: { orderId: string; status: OrderStatus }[];
  /**
   * Orders whose total is beyond what the bus carries (admitted before the order edge refused
   * them): audited like any other order, listed so that an operator sees them. Not a violation.
   */
  overLimit: { orderId: string; status: OrderStatus; totalCents: number }[];
  divergence: DivergentKey[];
  replicas: ReplicaCoverage[];
  /** Anti-entropy ran before the replicas were read. */
  repaired: boolean;
}

/**
 * Joins violations that say the same thing (rule, key, detail) about different places into one
 * that names every place, keeping the order of first appearance.
 */
export function mergeViolations(list: readonly Violation[]): Violation[] {
  const byIdentity = new Map<string, Violation>();
  for (const v of list) {
    const id = `${v.rule}\u0000${v.key}\u0000${v.detail}`;
    const known = byIdentity.get(id);
    byIdentity.set(
      id,
      known ? { ...known, seenOn: [...new Set([...known.seenOn, ...v.seenOn])] } : v,
    );
  }
  return [...byIdentity.values()];
}
