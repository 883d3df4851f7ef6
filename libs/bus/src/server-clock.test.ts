/**
 * Hole 8 (deadlines across hosts): the estimate of this host's offset to the NATS server clock.
 * Hunts: an estimate above the true offset once a probe measured it (a command would look younger
 * than it is, and a hop get more time than it was sent); an estimate far below it (a command
 * refused with time left); a consumer starting on a backlog that takes old messages for fresh
 * ones; a clock step that is never followed; memory that grows with traffic.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ServerClock } from './server-clock.ts';

/** Local clock = server clock + OFFSET in every test unless said otherwise. */
const OFFSET = 20_000;

describe('hole 8: ServerClock', () => {
  it('knows nothing before its first bound', () => {
    expect(new ServerClock(60_000).offset(1_000)).toBeUndefined();
  });

  it('takes the smallest bound in its window: the freshest message is the best witness', () => {
    const c = new ServerClock(60_000);
    // Stored at server time 1 000, 2 000, 3 000; seen 900, 5 and 40 ms later.
    c.observe(1_000, 1_000 + OFFSET + 900);
    c.observe(2_000, 2_000 + OFFSET + 5);
    c.observe(3_000, 3_000 + OFFSET + 40);
    expect(c.offset(3_100 + OFFSET)).toBe(OFFSET + 5);
  });

  it('forgets bounds older than its window', () => {
    const c = new ServerClock(60_000);
    c.observe(0, OFFSET + 5);
    c.observe(50_000, 50_000 + OFFSET + 300);
    expect(c.offset(50_000 + OFFSET)).toBe(OFFSET + 5);
    expect(c.offset(70_000 + OFFSET)).toBe(OFFSET + 300);
    expect(c.offset(200_000 + OFFSET)).toBeUndefined();
  });

  it('after a probe, a backlog of old messages does not pass for fresh', () => {
    const c = new ServerClock(60_000);
    // Probe at server time 100 000: publish took 8 ms in all.
    c.probe(100_004, 100_000 + OFFSET, 100_008 + OFFSET);
    // A command stored 30 s ago is delivered now, first of a backlog.
    c.observe(70_010, 100_010 + OFFSET);
    const offset = c.offset(100_010 + OFFSET) ?? Number.NaN;
    expect(offset).toBeLessThanOrEqual(OFFSET);
    expect(offset).toBeGreaterThanOrEqual(OFFSET - 8 - 1);
  });

  it('leans low once a probe measured a lower bound: commands look older, never younger', () => {
    const c = new ServerClock(60_000);
    c.observe(1_000, 1_000 + OFFSET + 3);
    expect(c.offset(1_100 + OFFSET)).toBe(OFFSET + 3);
    c.probe(2_002, 2_000 + OFFSET, 2_004 + OFFSET);
    expect(c.offset(2_100 + OFFSET)).toBe(OFFSET - 3);
    // Fresh deliveries do not raise it: only a probe can say how low it may be.
    c.observe(3_000, 3_000 + OFFSET + 1);
    expect(c.offset(3_100 + OFFSET)).toBe(OFFSET - 3);
  });

  it('follows this clock stepping back or forward at the next delivery or probe', () => {
    const c = new ServerClock(60_000);
    c.observe(1_000, 1_000 + OFFSET + 2);
    // Stepped back by 5 s: the new upper bounds are smaller and win at once.
    c.observe(2_000, 2_000 + OFFSET - 5_000 + 2);
    expect(c.offset(2_100 + OFFSET - 5_000)).toBe(OFFSET - 5_000 + 2);
    // Stepped forward by 9 s: the old small bounds would make every command look 9 s older...
    c.observe(3_000, 3_000 + OFFSET + 4_000 + 2);
    expect(c.offset(3_100 + OFFSET + 4_000)).toBe(OFFSET - 5_000 + 2);
    // ...until a probe proves the offset is at least OFFSET + 3 997.
    c.probe(3_200, 3_198 + OFFSET + 4_000, 3_203 + OFFSET + 4_000);
    expect(c.offset(3_300 + OFFSET + 4_000)).toBe(OFFSET + 4_000 - 3);
    // Stepped back by 4 s again: the next delivery contradicts the probe's lower bound.
    c.observe(3_400, 3_400 + OFFSET + 2);
    expect(c.offset(3_500 + OFFSET)).toBe(OFFSET + 2);
  });

  it('stays within a round trip below the true offset after a probe, above it without one', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -86_400_000, max: 86_400_000 }),
        fc.array(
          fc.record({
            gap: fc.integer({ min: 0, max: 5_000 }),
            age: fc.integer({ min: 0, max: 120_000 }),
            probe: fc.boolean(),
          }),
          { minLength: 1, maxLength: 300 },
        ),
        (offset, events) => {
          const c = new ServerClock(60_000);
          let server = 1_700_000_000_000;
          let probedAt = Number.NEGATIVE_INFINITY;
          for (const e of events) {
            server += e.gap;
            if (e.probe) {
              // Stamped somewhere inside a round trip of up to 49 ms.
              const rtt = e.age % 50;
              c.probe(server + Math.floor(rtt / 2), server + offset, server + rtt + offset);
              probedAt = server;
            } else {
              c.observe(server - e.age, server + offset);
            }
            const estimate = c.offset(server + offset) ?? Number.NaN;
            if (server - probedAt < 50_000) {
              expect(estimate).toBeLessThanOrEqual(offset);
              expect(estimate).toBeGreaterThanOrEqual(offset - 50);
            } else if (server - probedAt > 65_000) {
              expect(estimate).toBeGreaterThanOrEqual(offset);
            }
            expect(c.bucketsHeld).toBeLessThanOrEqual(28);
          }
        },
      ),
    );
  });

  it('refuses a window that is not positive', () => {
    expect(() => new ServerClock(0)).toThrow(RangeError);
  });
});
