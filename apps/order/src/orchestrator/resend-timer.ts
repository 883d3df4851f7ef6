/**
 * How long the re-drive waits for a reply before it resends a command, per downstream.
 *
 * A fixed wait below the latency of a loaded receiver turns every slow reply into a resend, the
 * resends add to the load, and the latency grows further: congestion collapse. The wait follows
 * the observed reply time instead, as TCP's retransmission timer does: a smoothed round trip plus
 * four times its mean deviation (at least half the round trip), never below the configured floor (a lone reply lost on a quiet
 * system is still resent after the floor) and never above the ceiling (a receiver that came back
 * is not left waiting for long). Only replies to a first send are sampled: the reply to a resent
 * command cannot be told from the reply to its first copy.
 */
export interface ResendTimerOptions {
  /** The least wait before a resend, ms (SEAMLINE_REDRIVE_AFTER_MS). */
  readonly floorMs: number;
  /** The longest wait before a resend, ms. */
  readonly ceilingMs: number;
}

interface Estimate {
  srtt: number;
  rttvar: number;
}

export class ResendTimer {
  private readonly estimates = new Map<string, Estimate>();

  constructor(private readonly o: ResendTimerOptions) {
    if (!(o.floorMs > 0) || !(o.ceilingMs >= o.floorMs))
      throw new RangeError(
        `resend wait needs 0 < floor <= ceiling, got ${o.floorMs}..${o.ceilingMs}`,
      );
  }

  /** Records the time from a first send to its reply. */
  observe(downstream: string, rttMs: number): void {
    if (!Number.isFinite(rttMs) || rttMs < 0) return;
    const e = this.estimates.get(downstream);
    if (e === undefined) {
      this.estimates.set(downstream, { srtt: rttMs, rttvar: rttMs / 2 });
      return;
    }
    // RFC 6298 gains: 1/4 for the deviation, 1/8 for the mean (deviation first, from the old mean).
    e.rttvar = 0.75 * e.rttvar + 0.25 * Math.abs(e.srtt - rttMs);
    e.srtt = 0.875 * e.srtt + 0.125 * rttMs;
  }

  /** The wait before a command to `downstream` that has had no reply is sent again. */
  waitMs(downstream: string): number {
    const e = this.estimates.get(downstream);
    // A steady receiver has no deviation: half its reply time is headroom all the same.
    const wanted = e === undefined ? 0 : e.srtt + Math.max(4 * e.rttvar, e.srtt / 2);
    return Math.round(Math.min(this.o.ceilingMs, Math.max(this.o.floorMs, wanted)));
  }
}
