/**
 * The pure core of chaos control: given the current rules, a seed and a clock, decide what
 * happens to one delivery and count what passed. No I/O, so every branch is unit-tested; the
 * watcher feeds it rules from the bucket and hands its two hooks to the bus.
 *
 *   delivery ─► beforeHandle: every matching rule counts the delivery; the first active
 *      │        drop/fail/delay/stall rule whose roll hits decides
 *      ▼
 *   handler commits ─► afterCommit: every matching rule counts the commit; the first active
 *                      drop-reply rule whose roll hits drops the reply
 *
 * A rule is active until its `count` is used up (in this process) or its `until` passed. Each
 * rule draws from its own PRNG, seeded from (seed, rule id, rule revision), so a rerun with
 * the same seed and the same command sequence hits the same commands.
 */
import { seededRandom } from '@seamline/retry-budget';
import type { FaultRule } from './fault-rule.ts';
import { BEFORE_HANDLE_ACTIONS, ruleMatches } from './fault-rule.ts';

/** The parts of a bus command a rule looks at. */
export interface FaultTarget {
  readonly pattern: string;
  readonly sagaId: string;
  /** The handler's absolute deadline, epoch ms (bounds a stall). */
  readonly deadline: number;
}

export type BeforeHandleFault = 'drop' | 'fail' | { delayMs: number } | undefined;

/** Per rule: what matched it and how often it fired, in this process. */
export interface RuleTally {
  deliveries: number;
  commits: number;
  applied: number;
}

/** What this process saw: per pattern, and per rule. */
export interface TrafficTally {
  deliveries: Record<string, number>;
  commits: Record<string, number>;
  rules: Record<string, RuleTally>;
}

interface LiveRule {
  readonly rule: FaultRule;
  readonly revision: number;
  readonly random: () => number;
  readonly tally: RuleTally;
}

export class FaultPlan {
  readonly seed: number;
  private readonly clock: () => number;
  private rules: LiveRule[] = [];
  private readonly deliveries: Record<string, number> = {};
  private readonly commits: Record<string, number> = {};
  /** Tallies of rules that were removed, kept so a late reader still sees what they did. */
  private readonly retired: Record<string, RuleTally> = {};

  constructor(options: { seed: number; clock?: () => number }) {
    this.seed = options.seed >>> 0;
    this.clock = options.clock ?? Date.now;
  }

  /** Sets or replaces one rule; a new revision of a rule starts with fresh counters. */
  upsert(rule: FaultRule, revision: number): void {
    const existing = this.rules.find((r) => r.rule.id === rule.id);
    if (existing !== undefined && existing.revision >= revision) return;
    const live: LiveRule = {
      rule,
      revision,
      random: seededRandom(mix(this.seed, `${rule.id}@${revision}`)),
      tally: { deliveries: 0, commits: 0, applied: 0 },
    };
    this.rules = [...this.rules.filter((r) => r.rule.id !== rule.id), live].sort(
      (a, b) => a.rule.createdAt - b.rule.createdAt || a.rule.id.localeCompare(b.rule.id),
    );
  }

  remove(id: string): void {
    const gone = this.rules.find((r) => r.rule.id === id);
    if (gone !== undefined) this.retired[id] = gone.tally;
    this.rules = this.rules.filter((r) => r.rule.id !== id);
  }

  activeRules(): FaultRule[] {
    return this.rules.map((r) => r.rule);
  }

  beforeHandle(target: FaultTarget): BeforeHandleFault {
    bump(this.deliveries, target.pattern);
    let decided: BeforeHandleFault;
    for (const live of this.rules) {
      if (!ruleMatches(live.rule, target)) continue;
      live.tally.deliveries += 1;
      if (decided !== undefined || !BEFORE_HANDLE_ACTIONS.includes(live.rule.action)) continue;
      if (this.fires(live)) decided = this.effect(live.rule, target);
    }
    return decided;
  }

  afterCommit(target: FaultTarget): 'drop-reply' | undefined {
    bump(this.commits, target.pattern);
    let decided: 'drop-reply' | undefined;
    for (const live of this.rules) {
      if (!ruleMatches(live.rule, target)) continue;
      live.tally.commits += 1;
      if (decided !== undefined || live.rule.action !== 'drop-reply') continue;
      if (this.fires(live)) decided = 'drop-reply';
    }
    return decided;
  }

  /** A copy of the counters (cumulative since this process started). */
  tally(): TrafficTally {
    const rules: Record<string, RuleTally> = {};
    for (const [id, t] of Object.entries(this.retired)) rules[id] = { ...t };
    for (const live of this.rules) rules[live.rule.id] = { ...live.tally };
    return { deliveries: { ...this.deliveries }, commits: { ...this.commits }, rules };
  }

  private fires(live: LiveRule): boolean {
    const { rule, tally } = live;
    if (rule.count !== undefined && tally.applied >= rule.count) return false;
    if (rule.until !== undefined && this.clock() >= rule.until) return false;
    // A rate of 1 draws nothing, so adding such a rule never shifts another rule's sequence.
    if (rule.rate < 1 && !(live.random() < rule.rate)) return false;
    tally.applied += 1;
    return true;
  }

  private effect(rule: FaultRule, target: FaultTarget): BeforeHandleFault {
    switch (rule.action) {
      case 'drop':
      case 'fail':
        return rule.action;
      case 'delay':
        return { delayMs: rule.delayMs ?? 0 };
      case 'stall': {
        const now = this.clock();
        const ends = [target.deadline, rule.until, rule.delayMs && now + rule.delayMs];
        const end = Math.min(...ends.filter((t): t is number => typeof t === 'number'));
        return { delayMs: Math.max(0, end - now) };
      }
      default:
        return undefined;
    }
  }
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** FNV-1a of the text, xor the seed: an independent stream per rule revision. */
function mix(seed: number, text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h ^ seed) >>> 0;
}
