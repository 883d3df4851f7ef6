import type { Version } from '@seamline/quorum-store';
import { ZERO_VERSION } from '@seamline/quorum-store';
import type { EffectKind } from './audit-report.ts';
import type { EffectEntry } from './books.ts';
import { DEFAULT_DOMAINS, readBooks } from './books.ts';

/**
 * The rule of invariant 1 (no double effect) as a pure function of ledger entries, shared by the
 * whole-snapshot auditor (double-effect-check.ts) and the effect services' incremental detector:
 * at most one charge, one refund, one reserve and one release per order. The ledger's primary
 * key already makes one entry per idempotency key; a second entry of one kind for one order is
 * an effect applied twice (a repeat filed under a fresh key, a re-decided step).
 */

/** Effects of one kind for one order, where there must be at most one. */
export interface DuplicateEffect {
  /** `<orderId>:<kind>`: names the duplicated effect, whichever keys its entries have. */
  readonly effect: string;
  readonly orderId: string;
  readonly kind: EffectKind;
  /** Its ledger entries, two or more, sorted by record key. */
  readonly entries: readonly EffectEntry[];
}

/** The effect a ledger entry is: `<orderId>:<kind>`. */
export function effectOf(entry: Pick<EffectEntry, 'orderId' | 'kind'>): string {
  return `${entry.orderId}:${entry.kind}`;
}

/** Every effect with more than one ledger entry, in order of its first entry. */
export function findDuplicateEffects(effects: readonly EffectEntry[]): DuplicateEffect[] {
  const groups = new Map<string, EffectEntry[]>();
  for (const entry of effects) {
    const effect = effectOf(entry);
    const group = groups.get(effect);
    if (group === undefined) groups.set(effect, [entry]);
    else group.push(entry);
  }
  const out: DuplicateEffect[] = [];
  for (const [effect, entries] of groups) {
    if (entries.length < 2) continue;
    const sorted = [...entries].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    out.push({ effect, orderId: sorted[0]!.orderId, kind: sorted[0]!.kind, entries: sorted });
  }
  return out;
}

/** The services whose ledgers hold effects. */
export type LedgerService = 'payment' | 'inventory';

/** A record as a quorum read or scan returns it (no domain: the caller knows it). */
export interface LedgerRecord {
  readonly key: string;
  readonly value: unknown;
  readonly version?: Version;
  readonly tag?: string | null;
  readonly deleted?: boolean;
}

/**
 * Parses one service's records into ledger entries with the auditor's own schemas. Records that
 * are not ledger entries are ignored; a ledger entry that fails its schema is only counted (the
 * auditor reports it; it cannot be grouped).
 */
export function readLedger(
  service: LedgerService,
  records: readonly LedgerRecord[],
): { readonly effects: readonly EffectEntry[]; readonly malformed: number } {
  const domain = DEFAULT_DOMAINS[service];
  const stored = records.map((r) => ({
    domain,
    key: r.key,
    value: r.value,
    version: r.version ?? ZERO_VERSION,
    tag: r.tag ?? null,
    ...(r.deleted === undefined ? {} : { deleted: r.deleted }),
  }));
  const books = readBooks({ [service]: stored });
  return { effects: books.effects, malformed: books.malformed.length };
}
