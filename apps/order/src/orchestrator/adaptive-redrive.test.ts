/**
 * The re-drive's wait follows the observed reply time (issue 10, work off the hot path): a fixed
 * resend below the latency of a loaded receiver resends every command once, and the resends add
 * to the load that made the replies slow.
 */
import { describe, expect, it } from 'vitest';
import type { Harness } from '../../test/orchestrator-harness.ts';
import { leadingOrchestrator } from '../../test/orchestrator-harness.ts';

const placed = (h: Harness, n: number) =>
  h.orch.place(
    {
      orderId: `ord-${n}`,
      customerId: 'cust-1',
      items: [{ sku: 'sku-1', qty: 1, unitPriceCents: 100 }],
      currency: 'USD',
      deadline: h.now.ms + 60_000,
    },
    `key-${n}`,
    () => ({ fingerprint: 'f', orderId: `ord-${n}`, status: 202, bodyText: '{}' }),
  );

const resends = (h: Harness, orderId: string) =>
  h.stored.get(orderId)!.history.filter((e) => e.event.endsWith(':resent')).length;

/** Places `n` orders whose reservations are each answered `replyMs` after they were sent. */
async function slowReplies(h: Harness, n: number, replyMs: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await placed(h, i);
    h.now.ms += replyMs;
    await h.reply('reserve', `ord-${i}`, { outcome: 'reserved' });
  }
}

describe('the re-drive wait', () => {
  it('resends after the configured floor while replies are fast', async () => {
    const h = await leadingOrchestrator();
    await slowReplies(h, 20, 15);
    await placed(h, 100);
    h.now.ms += 2_100;
    await h.tick();
    expect(resends(h, 'ord-100')).toBe(1);
  });

  it('does not resend a command that is only as slow as the replies have been', async () => {
    const h = await leadingOrchestrator();
    await slowReplies(h, 20, 3_000);
    await placed(h, 100);
    // 3.5 s: past the 2 s floor, within what this receiver takes to answer.
    h.now.ms += 3_500;
    await h.tick();
    expect(resends(h, 'ord-100')).toBe(0);
    // A command with no reply well past the usual time is still resent.
    h.now.ms += 6_000;
    await h.tick();
    expect(resends(h, 'ord-100')).toBe(1);
  });

  it('never waits longer than the ceiling, however slow the replies were', async () => {
    const h = await leadingOrchestrator([], { options: { redriveCeilingMs: 5_000 } });
    await slowReplies(h, 5, 60_000);
    await placed(h, 100);
    h.now.ms += 5_001;
    await h.tick();
    expect(resends(h, 'ord-100')).toBe(1);
  });
});
