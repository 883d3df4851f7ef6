/**
 * This host's clock minus the NATS server's clock, learnt from the timestamps JetStream puts on
 * stored messages. Pure: times go in as arguments, nothing is read or sent here.
 *
 * Two kinds of bound, each trusted for `windowMs`:
 * - upper: a message stamped `s` by the server (its clock, when it stored the message) and in
 *   hand here at local time `t` gives `t - s = offset + age >= offset`. Every delivery is one.
 * - lower: a probe (clock-probe.ts) published at local `sent` and stamped `s` gives
 *   `sent - s <= offset`, at most one round trip low. Only probes give these.
 *
 * The estimate is the greatest lower bound when a probe has measured one, else the least upper
 * bound. A lower bound makes every command look older than it is (by at most a probe's round
 * trip), never younger: a hop never gets more time than it was sent (see
 * docs/adr/0014-deadlines-across-hosts.md). Without one (probes failing), the least upper bound
 * errs the other way, by the age of the freshest message in the window.
 *
 * A new bound that contradicts older ones of the other kind proves a clock step (or stamps from
 * another server) and drops them, so a step is followed at the next probe or delivery instead of
 * when the window ends.
 */
type Bound = { bucket: number; value: number };

export class ServerClock {
  readonly #bucketMs: number;
  readonly #buckets: number;
  /** Least upper bound per time bucket (`floor(localTime / bucketMs)`). */
  #uppers: Bound[] = [];
  /** Greatest lower bound per time bucket. */
  #lowers: Bound[] = [];

  /** @param windowMs how long a bound is trusted */
  constructor(windowMs: number, buckets = 12) {
    if (!(windowMs > 0) || !Number.isInteger(buckets) || buckets < 1) {
      throw new RangeError('ServerClock: windowMs must be > 0 and buckets a positive integer');
    }
    this.#buckets = buckets;
    this.#bucketMs = windowMs / buckets;
  }

  /** A message stamped `stampedAt` (server clock, ms) is in hand at local time `seenAt`. */
  observe(stampedAt: number, seenAt: number): void {
    if (!Number.isFinite(stampedAt) || !Number.isFinite(seenAt)) return;
    const upper = seenAt - stampedAt;
    this.#lowers = this.#lowers.filter((b) => b.value <= upper);
    this.#uppers = add(this.#live(this.#uppers, seenAt), this.#bucket(seenAt), upper, Math.min);
  }

  /**
   * A probe published at local `sentAt` was stamped `stampedAt` and acknowledged at local
   * `ackedAt`: the offset lies in `[sentAt - stampedAt, ackedAt - stampedAt]`.
   */
  probe(stampedAt: number, sentAt: number, ackedAt: number): void {
    if (![stampedAt, sentAt, ackedAt].every(Number.isFinite) || ackedAt < sentAt) return;
    // Stamps are read back at millisecond resolution (rounded down): widen by one.
    const lower = sentAt - stampedAt - 1;
    const upper = ackedAt - stampedAt;
    this.#uppers = this.#uppers.filter((b) => b.value >= lower);
    this.#lowers = this.#lowers.filter((b) => b.value <= upper);
    const bucket = this.#bucket(ackedAt);
    this.#uppers = add(this.#live(this.#uppers, ackedAt), bucket, upper, Math.min);
    this.#lowers = add(this.#live(this.#lowers, ackedAt), bucket, lower, Math.max);
  }

  /** Estimated `local - server` clock offset at local time `now`; undefined with no recent bound. */
  offset(now: number): number | undefined {
    this.#lowers = this.#live(this.#lowers, now);
    this.#uppers = this.#live(this.#uppers, now);
    if (this.#lowers.length > 0) return Math.max(...this.#lowers.map((b) => b.value));
    if (this.#uppers.length > 0) return Math.min(...this.#uppers.map((b) => b.value));
    return undefined;
  }

  /** Buckets held: at most `2 * (buckets + 2)`, whatever the traffic. */
  get bucketsHeld(): number {
    return this.#uppers.length + this.#lowers.length;
  }

  #bucket(at: number): number {
    return Math.floor(at / this.#bucketMs);
  }

  #live(bounds: Bound[], now: number): Bound[] {
    const current = this.#bucket(now);
    // Buckets ahead of now by more than one (this clock stepped back) could never age out.
    return bounds.filter((b) => b.bucket > current - this.#buckets && b.bucket <= current + 1);
  }
}

function add(
  bounds: Bound[],
  bucket: number,
  value: number,
  keep: (a: number, b: number) => number,
): Bound[] {
  const same = bounds.find((b) => b.bucket === bucket);
  if (same === undefined) return [...bounds, { bucket, value }];
  same.value = keep(same.value, value);
  return bounds;
}
