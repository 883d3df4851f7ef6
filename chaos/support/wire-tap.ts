/**
 * A wire tap on one run's bus: a plain NATS subscription beside the JetStream consumers sees
 * every command the orchestrator publishes to a service (first sends and re-drives, told apart
 * by `Seamline-Attempt`) and every reply the service publishes, each with its arrival time. The
 * retry-storm scenario counts attempts from here, outside every process it measures.
 */
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { connect } from '@nats-io/transport-node';

export interface TapEvent {
  /** Arrival, epoch ms. */
  readonly at: number;
  readonly key: string;
  readonly attempt: number;
}

export class WireTap {
  /** Commands to the tapped pattern: attempt 1 = a request, attempt > 1 = a retry. */
  readonly commands: TapEvent[] = [];
  /** Replies to the tapped pattern that were the first for their key (work completed). */
  readonly completions: TapEvent[] = [];
  private readonly replied = new Set<string>();

  private constructor(
    private readonly nc: NatsConnection,
    private readonly subs: Subscription[],
  ) {}

  /** Taps `<prefix>.cmd.<service>.<action>` and the replies to it. */
  static async start(
    servers: readonly string[],
    prefix: string,
    pattern: string,
  ): Promise<WireTap> {
    const [service, action] = pattern.split('.');
    const nc = await connect({ servers: [...servers], name: `wire-tap-${prefix}` });
    const tap = new WireTap(nc, []);
    const header = (m: { headers?: { get(k: string): string } }, k: string) =>
      m.headers?.get(k) ?? '';
    tap.subs.push(
      nc.subscribe(`${prefix}.cmd.${service}.${action}`, {
        callback: (_err, m) => {
          tap.commands.push({
            at: Date.now(),
            key: header(m, 'Seamline-Idempotency-Key'),
            attempt: Number(header(m, 'Seamline-Attempt')) || 1,
          });
        },
      }),
      nc.subscribe(`${prefix}.reply.>`, {
        callback: (_err, m) => {
          if (header(m, 'Seamline-Pattern') !== pattern) return;
          const key = header(m, 'Seamline-Idempotency-Key');
          if (tap.replied.has(key)) return;
          tap.replied.add(key);
          tap.completions.push({
            at: Date.now(),
            key,
            attempt: Number(header(m, 'Seamline-Attempt')) || 1,
          });
        },
      }),
    );
    // Subscriptions are registered once the server has seen them: nothing published after
    // start() returns can be missed.
    await nc.flush();
    return tap;
  }

  async close(): Promise<void> {
    for (const s of this.subs) s.unsubscribe();
    await this.nc.close();
  }
}
