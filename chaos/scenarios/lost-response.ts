/**
 * The lost-response scenario (design brief, failure scenario 2): a retried compensation
 * produces exactly one effect, one refund record despite two physical calls.
 *
 *   POST /orders (Seamline-Deadline-Ms 4000) ─▶ reserve ─▶ charge applied, its reply LOST
 *      (every charge answer of this saga is dropped, so the saga cannot learn it was paid)
 *   deadline passes ─▶ compensate: refund applied, its reply LOST (once)
 *   re-drive after 2 s ─▶ refund again ─▶ payment answers from its idempotency record
 *   ─▶ release ─▶ CANCELLED / DEADLINE_EXCEEDED
 *
 * A refund only happens when the deadline passes while a charge is pending, so the charge's
 * replies are dropped for the whole saga: the charge takes effect, the saga never hears of it,
 * the deadline passes, and the refund is the compensation of a charge that really happened.
 * This does not depend on timing: a re-driven charge is answered from its record and that
 * answer is dropped too.
 *
 * Checks: payment's handler ran the refund twice (tally of the rule: two commits, one reply
 * dropped) and answered the second from its record (dedup hit); every payment replica holds
 * exactly one refund entry for the order and the customer's balance is back where it was; the
 * auditor is clean. With --no-dedup (SEAMLINE_UNSAFE_NO_DEDUP=refund) the same run must fail
 * those checks: two refunds, money created.
 */
import type { AuditReport } from '@seamline/audit';
import type { RuleTally } from '@seamline/chaos-control';
import type { StackEndpoints, StackOptions } from '../../infra/stack/index.ts';
import { waitFor } from '../../infra/stack/index.ts';
import { startChaosPipeline } from '../support/chaos-pipeline.ts';
import { metricSum } from '../support/metrics-text.ts';
import type { OrderView } from '../support/order-client.ts';
import { awaitTerminal, placeOrder } from '../support/order-client.ts';
import { orderIdForKey } from '../support/order-load.ts';
import type { ReplicaBooks } from '../support/payment-books.ts';
import { entriesOf, paymentBooks } from '../support/payment-books.ts';
import { PipelineChaos } from '../support/pipeline-chaos.ts';
import type { ScenarioContext } from '../support/scenario-command.ts';
import { intOption, runScenarioCommand } from '../support/scenario-command.ts';
import { seededRandom } from '../support/seeded-random.ts';
import { auditRun } from '../support/settle.ts';

export const describe =
  'drop the reply to a refund once: two physical calls, one refund on every replica';

export interface LostResponseOptions {
  readonly stack: StackEndpoints;
  readonly stackOptions?: StackOptions;
  readonly seed: number;
  /** false = SEAMLINE_UNSAFE_NO_DEDUP=refund: payment applies a repeated refund again. @default true */
  readonly dedup?: boolean;
  /** The order's saga deadline (header Seamline-Deadline-Ms). @default 4000 */
  readonly deadlineMs?: number;
  readonly keep?: boolean;
  readonly log?: (line: string) => void;
}

export interface LostResponseResult {
  readonly runId: string;
  readonly orderId: string;
  readonly customerId: string;
  readonly order: OrderView;
  /** Saga history events about the refund (`refund:sent`, `refund:resent`, ...). */
  readonly refundEvents: readonly string[];
  /** The refund rule's counters in payment: deliveries and handler runs seen, replies dropped. */
  readonly refundCalls: RuleTally;
  readonly chargeCalls: RuleTally;
  /** Refunds payment answered from its idempotency record during the run. */
  readonly refundDedupHits: number;
  readonly before: readonly ReplicaBooks[];
  readonly after: readonly ReplicaBooks[];
  readonly audit: AuditReport;
  readonly auditText: string;
  readonly failures: readonly string[];
}

export async function lostResponse(o: LostResponseOptions): Promise<LostResponseResult> {
  const log = o.log ?? (() => {});
  const dedup = o.dedup ?? true;
  const p = await startChaosPipeline({
    stack: o.stack,
    ...(o.stackOptions === undefined ? {} : { stackOptions: o.stackOptions }),
    orderReplicas: 2,
    // Leases that tolerate a loaded machine: a spurious leader change would add a takeover
    // resend (harmless, but noise in the call count this scenario reports).
    orderEnv: {
      SEAMLINE_LEASE_MS: '3000',
      SEAMLINE_RENEW_MS: '1000',
      SEAMLINE_LEASE_MARGIN_MS: '500',
    },
    env: {
      SEAMLINE_CHAOS: 'on',
      SEAMLINE_CHAOS_SEED: String(o.seed),
      ...(dedup ? {} : { SEAMLINE_UNSAFE_NO_DEDUP: 'refund' }),
    },
    log,
  });
  const chaos = await PipelineChaos.open(p);
  try {
    const random = seededRandom(o.seed);
    const customerId = `cust-${random.int(1, p.fixture.customers)}`;
    const key = `${p.runId}-lost-response`;
    const orderId = orderIdForKey(key);
    const urls = p.orders.map((r) => r.url);
    await chaos.set(
      { id: 'charge-reply-lost', pattern: 'payment.charge', action: 'drop-reply', sagaId: orderId },
      {
        id: 'refund-reply-lost',
        pattern: 'payment.refund',
        action: 'drop-reply',
        sagaId: orderId,
        count: 1,
      },
    );
    log(`rules set: every charge reply and the first refund reply of ${orderId} are lost`);
    const before = await paymentBooks(p, orderId, customerId);
    const dedupBefore = await readRefundDedupHits(p.payment.url);

    const placed = await placeOrder(
      urls,
      key,
      {
        customerId,
        items: [{ sku: `sku-${random.int(1, p.fixture.skus)}`, qty: 1, unitPriceCents: 1250 }],
        currency: 'USD',
      },
      { 'seamline-deadline-ms': String(o.deadlineMs ?? 4_000) },
    );
    if (placed.status !== 202) throw new Error(`order refused: ${placed.status}`);
    log(`order ${orderId} accepted for ${customerId}; waiting for it to finish`);
    const order = await awaitTerminal(urls, orderId, 60_000);
    log(`order ${order.status}/${order.reason ?? '-'}`);

    // The tally and the third replica may trail the saga by a moment: wait for them, bounded.
    const refundCalls = await waitFor(
      async () => {
        const t = await chaos.ruleTally('payment', 'refund-reply-lost');
        return t.commits >= 2 ? t : undefined;
      },
      { what: 'payment to report the second refund call', timeoutMs: 10_000 },
    ).catch(() => chaos.ruleTally('payment', 'refund-reply-lost'));
    const chargeCalls = await chaos.ruleTally('payment', 'charge-reply-lost');
    const after = await waitFor(
      async () => {
        const books = await paymentBooks(p, orderId, customerId);
        const refunds = books.map((b) => entriesOf(b, 'refund').length);
        return books.every((b) => b.reachable) && new Set(refunds).size === 1 && refunds[0]! > 0
          ? books
          : undefined;
      },
      { what: 'every payment replica to hold the refund', timeoutMs: 10_000 },
    ).catch(() => paymentBooks(p, orderId, customerId));
    const refundDedupHits = (await readRefundDedupHits(p.payment.url)) - dedupBefore;
    const { report: audit, text: auditText } = await auditRun(p);

    const refundEvents = (order.steps ?? [])
      .map((s) => s.event)
      .filter((e) => e.startsWith('refund:'));
    const failures = check({
      order,
      refundEvents,
      refundCalls,
      refundDedupHits,
      before,
      after,
      audit,
    });
    return {
      runId: p.runId,
      orderId,
      customerId,
      order,
      refundEvents,
      refundCalls,
      chargeCalls,
      refundDedupHits,
      before,
      after,
      audit,
      auditText,
      failures,
    };
  } finally {
    await chaos.close({ drop: o.keep !== true });
    await p.stop({ keepData: o.keep === true });
  }
}

function check(r: {
  order: OrderView;
  refundEvents: readonly string[];
  refundCalls: RuleTally;
  refundDedupHits: number;
  before: readonly ReplicaBooks[];
  after: readonly ReplicaBooks[];
  audit: AuditReport;
}): string[] {
  const failures: string[] = [];
  if (r.order.status !== 'CANCELLED' || r.order.reason !== 'DEADLINE_EXCEEDED') {
    failures.push(
      `order ended ${r.order.status}/${r.order.reason ?? '-'}, not CANCELLED/DEADLINE_EXCEEDED`,
    );
  }
  if (!r.refundEvents.includes('refund:resent')) {
    failures.push(`the orchestrator never re-sent the refund (${r.refundEvents.join(', ')})`);
  }
  if (r.refundCalls.applied !== 1 || r.refundCalls.commits < 2) {
    failures.push(
      `expected two refund calls with one reply dropped, payment saw ${r.refundCalls.commits} ` +
        `handler runs and dropped ${r.refundCalls.applied}`,
    );
  }
  // Every call after the first must have been answered from the idempotency record.
  if (r.refundDedupHits !== r.refundCalls.commits - 1) {
    failures.push(
      `${r.refundCalls.commits} refund calls but ${r.refundDedupHits} answered from the record`,
    );
  }
  for (const books of r.after) {
    const refunds = entriesOf(books, 'refund');
    if (!books.reachable) failures.push(`${books.replica}: unreachable`);
    else if (refunds.length !== 1) {
      failures.push(`${books.replica}: ${refunds.length} refund entries (${refunds.join(', ')})`);
    }
    const was = r.before.find((b) => b.replica === books.replica)?.balanceCents;
    if (books.balanceCents !== was) {
      failures.push(`${books.replica}: balance ${books.balanceCents} after, ${was} before`);
    }
  }
  if (!r.audit.ok) {
    failures.push(`auditor: ${r.audit.violations.map((v) => `${v.rule} ${v.key}`).join('; ')}`);
  }
  return failures;
}

async function readRefundDedupHits(paymentUrl: string): Promise<number> {
  return metricSum(paymentUrl, 'seamline_dedup_hits_total', {
    service: 'payment',
    operation: 'refund',
  });
}

export async function run(argv: string[]): Promise<number> {
  return runScenarioCommand(argv, {
    name: 'lost-response',
    usage: '[--no-dedup] [--deadline-ms N]',
    options: { 'no-dedup': { type: 'boolean', default: false }, 'deadline-ms': { type: 'string' } },
    run: async (ctx: ScenarioContext) => {
      const r = await lostResponse({
        stack: ctx.stack,
        stackOptions: ctx.stackOptions,
        seed: ctx.seed,
        dedup: ctx.values['no-dedup'] !== true,
        deadlineMs: intOption(ctx.values['deadline-ms'], 'deadline-ms', 4_000),
        keep: ctx.keep,
        log: ctx.log,
      });
      ctx.log(
        `order ${r.orderId}: ${r.order.status}/${r.order.reason ?? '-'}; refund events: ${r.refundEvents.join(', ')}`,
      );
      ctx.log(
        `payment refund calls: ${r.refundCalls.deliveries} deliveries, ${r.refundCalls.commits} handler runs, ` +
          `${r.refundCalls.applied} reply dropped; answered from the record: ${r.refundDedupHits}`,
      );
      ctx.log(
        `charge calls: ${r.chargeCalls.commits} handler runs, ${r.chargeCalls.applied} replies dropped`,
      );
      for (const b of r.after) {
        const was = r.before.find((x) => x.replica === b.replica)?.balanceCents;
        ctx.log(
          `${b.replica}: refund entries ${JSON.stringify(entriesOf(b, 'refund'))}, ` +
            `charge entries ${entriesOf(b, 'charge').length}, balance ${was} -> ${b.balanceCents}`,
        );
      }
      process.stdout.write(r.auditText);
      for (const f of r.failures) ctx.log(`check failed: ${f}`);
      return r.failures.length === 0;
    },
  });
}
