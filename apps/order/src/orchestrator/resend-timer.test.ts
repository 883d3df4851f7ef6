import { describe, expect, it } from 'vitest';
import { ResendTimer } from './resend-timer.ts';

describe('ResendTimer', () => {
  const timer = () => new ResendTimer({ floorMs: 2000, ceilingMs: 30_000 });

  it('waits the floor until a reply was observed, and while replies are fast', () => {
    const t = timer();
    expect(t.waitMs('payment')).toBe(2000);
    for (let i = 0; i < 50; i++) t.observe('payment', 20);
    expect(t.waitMs('payment')).toBe(2000);
  });

  it('waits longer than the replies take once a loaded receiver answers slowly', () => {
    const t = timer();
    for (let i = 0; i < 50; i++) t.observe('payment', 2500 + (i % 2) * 1000);
    // A mean of 3 s with a deviation of about 0.5 s: resending at the 2 s floor would resend
    // almost every command once.
    expect(t.waitMs('payment')).toBeGreaterThan(3500);
    expect(t.waitMs('payment')).toBeLessThan(8000);
  });

  it('keeps each downstream apart', () => {
    const t = timer();
    for (let i = 0; i < 50; i++) t.observe('inventory', 5000);
    expect(t.waitMs('inventory')).toBeGreaterThan(5000);
    expect(t.waitMs('payment')).toBe(2000);
  });

  it('comes back down when the receiver recovers, and never exceeds the ceiling', () => {
    const t = timer();
    t.observe('payment', 120_000);
    expect(t.waitMs('payment')).toBe(30_000);
    for (let i = 0; i < 100; i++) t.observe('payment', 30);
    expect(t.waitMs('payment')).toBe(2000);
  });

  it('ignores samples that are not a time and refuses a ceiling below the floor', () => {
    const t = timer();
    t.observe('payment', Number.NaN);
    t.observe('payment', -5);
    expect(t.waitMs('payment')).toBe(2000);
    expect(() => new ResendTimer({ floorMs: 10, ceilingMs: 5 })).toThrow(RangeError);
  });
});
