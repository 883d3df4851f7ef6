/**
 * This host's clock minus the NATS server's clock, learnt from the timestamps JetStream puts on
 * stored messages. Pure: times go in as arguments, nothing is read or sent here.
 *
 * A message stamped `s` by the server (its clock, when it stored the message) and in hand here at
 * local time `t` gives `t - s = offset + age`, with `age >= 0`: an upper bound of the offset. The
 * estimate is the smallest such bound seen in the last `windowMs`, so it is never below the true
 * offset while the clocks hold steady, and above it by the age of the freshest message in the
 * window: milliseconds for a consumer that keeps up. Errors in that direction only ever make a
 * command look younger than it is (see docs/adr/0014-deadlines-across-hosts.md).
 *
 * A probe (publish, read the stamp back; clock-probe.ts) adds a bound that is at most one round
 * trip high, so a consumer that has just started on a backlog, or sat idle, is not left to learn
 * from old messages only; and a lower bound `sent - s`, below which every earlier bound is stale
 * (this clock stepped forward, or the stamps now come from another server) and is dropped.
 */
export class ServerClock {
  readonly #bucketMs: number;
  readonly #buckets: number;
  /** Smallest bound per time bucket (`floor(localTime / bucketMs)`). */
  #mins: { bucket: number; value: number }[] = [];

  /** @param windowMs how long a bound is trusted (a clock step is forgotten after this long) */
  constructor(windowMs: number, buckets = 12) {
    if (!(windowMs > 0) || !Number.isInteger(buckets) || buckets < 1) {
      throw new RangeError('ServerClock: windowMs must be > 0 and buckets a positive integer');
    }
    this.#buckets = buckets;
    this.#bucketMs = windowMs / buckets;
  }

  /** A message stamped `stampedAt` (server clock, ms) is in hand at local time `seenAt`. */
  observe(stampedAt: number, seenAt: number): void {
    if (Number.isFinite(stampedAt) && Number.isFinite(seenAt))
      this.#add(seenAt, seenAt - stampedAt);
  }

  /**
   * A probe published at local `sentAt` was stamped `stampedAt` and acknowledged at local
   * `ackedAt`: the offset lies in `[sentAt - stampedAt, ackedAt - stampedAt]`.
   */
  probe(stampedAt: number, sentAt: number, ackedAt: number): void {
    if (![stampedAt, sentAt, ackedAt].every(Number.isFinite) || ackedAt < sentAt) return;
    // Stamps are read back at millisecond resolution (rounded down): widen by one.
    const lower = sentAt - stampedAt - 1;
    this.#mins = this.#mins.filter((m) => m.value >= lower);
    this.#add(ackedAt, ackedAt - stampedAt);
  }

  /** Estimated `local - server` clock offset at local time `now`; undefined with no recent bound. */
  offset(now: number): number | undefined {
    this.#forget(now);
    let best: number | undefined;
    for (const m of this.#mins) if (best === undefined || m.value < best) best = m.value;
    return best;
  }

  /** Buckets held: at most `buckets + 2`, whatever the traffic. */
  get bucketsHeld(): number {
    return this.#mins.length;
  }

  #add(at: number, value: number): void {
    this.#forget(at);
    const bucket = Math.floor(at / this.#bucketMs);
    const same = this.#mins.find((m) => m.bucket === bucket);
    if (same !== undefined) same.value = Math.min(same.value, value);
    else this.#mins.push({ bucket, value });
  }

  #forget(now: number): void {
    const current = Math.floor(now / this.#bucketMs);
    // Buckets ahead of now by more than one (this clock stepped back) could never age out.
    this.#mins = this.#mins.filter(
      (m) => m.bucket > current - this.#buckets && m.bucket <= current + 1,
    );
  }
}
