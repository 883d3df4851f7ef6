/**
 * Hunts: an arrival filed under the wrong cause (a redelivered re-send counted as a re-send, so
 * the bus's share of the amplification hides), a deduplicated replay left uncounted, a key's
 * total observed twice or never, and a key that comes back after being forgotten carrying its
 * old highest send.
 */
import type { BusCommand } from '@seamline/bus';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arrivalCause, EffectArrivals } from './effect-arrivals.ts';

const seed = Number(process.env['FC_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
console.info(`[effect-arrivals.test] fast-check seed=${seed} (rerun with FC_SEED=${seed})`);

const command = (key: string, attempt: number, deliveryCount: number) =>
  ({ idempotencyKey: key, attempt, deliveryCount }) as BusCommand<unknown>;

function arrivals(ttlMs = 1_000) {
  const clock = { now: 0 };
  const seen: [string, string][] = [];
  const forgotten: [string, number][] = [];
  const a = new EffectArrivals({
    observer: {
      onArrival: (operation, cause) => seen.push([operation, cause]),
      onForget: (key, total) => forgotten.push([key, total]),
    },
    counter: { ttlMs, clock: () => clock.now },
  });
  return { a, clock, seen, forgotten };
}

describe('arrivalCause', () => {
  it('is first only for send 1 on delivery 1, resend for a later send delivered once, else redelivery', () => {
    expect(arrivalCause({ attempt: 1, deliveryCount: 1 })).toBe('first');
    expect(arrivalCause({ attempt: 2, deliveryCount: 1 })).toBe('resend');
    expect(arrivalCause({ attempt: 1, deliveryCount: 2 })).toBe('redelivery');
    expect(arrivalCause({ attempt: 7, deliveryCount: 3 })).toBe('redelivery');
  });

  it('gives every (send, delivery) pair exactly one cause', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 50 }), (a, d) => {
        const cause = arrivalCause({ attempt: a, deliveryCount: d });
        expect(cause === 'first').toBe(a === 1 && d === 1);
        expect(cause === 'resend').toBe(a > 1 && d === 1);
        expect(cause === 'redelivery').toBe(d > 1);
      }),
      { seed },
    );
  });
});

describe('EffectArrivals', () => {
  it("joins a key's first send, its redelivery and a re-send into one view", () => {
    const { a, seen } = arrivals();
    a.arrived(command('s1:charge:charge', 1, 1), 'charge');
    a.arrived(command('s1:charge:charge', 1, 2), 'charge');
    a.arrived(command('s1:charge:charge', 2, 1), 'charge');
    a.arrived(command('s2:charge:charge', 1, 1), 'charge');
    expect(a.view('s1:charge:charge')).toEqual({
      key: 's1:charge:charge',
      total: 3,
      byCause: { first: 1, resend: 1, redelivery: 1 },
      maxSend: 2,
    });
    expect(a.view('unknown')).toBeUndefined();
    expect(seen).toEqual([
      ['charge', 'first'],
      ['charge', 'redelivery'],
      ['charge', 'resend'],
      ['charge', 'first'],
    ]);
  });

  it('keeps the highest send even when an older send is redelivered after a newer one', () => {
    const { a } = arrivals();
    a.arrived(command('k', 3, 1), 'reserve');
    a.arrived(command('k', 1, 4), 'reserve');
    expect(a.view('k')?.maxSend).toBe(3);
  });

  it("observes a key's total once when it goes idle, then answers nothing for it", () => {
    const { a, clock, forgotten } = arrivals(1_000);
    a.arrived(command('k', 1, 1), 'charge');
    a.arrived(command('k', 2, 1), 'charge');
    clock.now = 999;
    a.sweep();
    expect(forgotten).toEqual([]);
    clock.now = 1_999;
    a.sweep();
    a.sweep();
    expect(forgotten).toEqual([['k', 2]]);
    expect(a.view('k')).toBeUndefined();
  });

  it('starts a forgotten key afresh, its highest send included', () => {
    const { a, clock, forgotten } = arrivals(100);
    a.arrived(command('k', 5, 1), 'charge');
    clock.now = 100;
    a.arrived(command('k', 1, 2), 'charge');
    expect(forgotten).toEqual([['k', 1]]);
    expect(a.view('k')).toMatchObject({ total: 1, maxSend: 1 });
  });
});
