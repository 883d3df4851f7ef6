/**
 * Measures this host's offset to the NATS server clock the only way JetStream offers: store a
 * message, read back the time the server stamped on it, delete it. The stamp falls between the
 * local times just before the publish and just after its PubAck (`ServerClock.probe`).
 *
 * The probe runs before the command consumer starts (a consumer starting on a backlog would
 * otherwise learn the offset only from old messages, and take them for fresh) and then every
 * third of the server clock's window, so a fresh bound is always in it. Its subject,
 * `<prefix>.cmd.<service>`, is in the command stream but outside every service's filter
 * (`<prefix>.cmd.<service>.>`): no consumer ever sees it. A failed probe is logged and changes
 * nothing; deliveries keep teaching the clock.
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import { describeError } from './bus-errors.ts';
import type { BusLogger } from './bus-hooks.ts';
import type { ServerClock } from './server-clock.ts';

export type ClockProbeOptions = {
  readonly stream: string;
  readonly subject: string;
  readonly clock: () => number;
  readonly timeoutMs: number;
  /** Time between probes. */
  readonly everyMs: number;
  readonly logger?: BusLogger;
};

export class ClockProbe {
  readonly #jsm: JetStreamManager;
  readonly #clock: ServerClock;
  readonly #o: ClockProbeOptions;
  #timer: ReturnType<typeof setInterval> | undefined;
  #running: Promise<void> | undefined;

  private constructor(jsm: JetStreamManager, clock: ServerClock, options: ClockProbeOptions) {
    this.#jsm = jsm;
    this.#clock = clock;
    this.#o = options;
  }

  /** Probes once (never throws), then keeps probing in the background until `stop`. */
  static async start(
    jsm: JetStreamManager,
    clock: ServerClock,
    options: ClockProbeOptions,
  ): Promise<ClockProbe> {
    const probe = new ClockProbe(jsm, clock, options);
    await probe.#probe();
    probe.#timer = setInterval(() => void probe.#probe(), options.everyMs);
    probe.#timer.unref();
    return probe;
  }

  /** Stops the timer and waits for a probe in flight (so the connection can close under it). */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  #probe(): Promise<void> {
    // One at a time: a slow server must not pile probes up.
    this.#running ??= this.#measure().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #measure(): Promise<void> {
    const { stream, subject, clock, timeoutMs } = this.#o;
    let seq: number | undefined;
    try {
      const sentAt = clock();
      const ack = await this.#jsm.jetstream().publish(subject, new Uint8Array(0), {
        expect: { streamName: stream },
        timeout: timeoutMs,
      });
      const ackedAt = clock();
      seq = ack.seq;
      const stored = await this.#jsm.streams.getMessage(stream, { seq });
      if (stored === null) throw new Error(`probe ${seq} vanished before it was read`);
      this.#clock.probe(stored.time.getTime(), sentAt, ackedAt);
    } catch (e) {
      this.#o.logger?.warn(
        { stream, subject, err: describeError(e) },
        'server clock probe failed; deadlines go by delivered messages only',
      );
    } finally {
      if (seq !== undefined)
        await this.#jsm.streams.deleteMessage(stream, seq, false).catch(() => false);
    }
  }
}
