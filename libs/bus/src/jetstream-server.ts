/**
 * NestJS custom transport over NATS JetStream: `app.connectMicroservice({ strategy: new
 * JetStreamServer(options) })`, then ordinary `@MessagePattern('<service>.<action>')` handlers
 * receive a `BusCommand<T>` and return a result that travels back as a `BusReply`.
 *
 * One durable pull consumer per service (durable `<service>`, filter `<prefix>.cmd.<service>.>`),
 * shared by every replica of the service. Per-delivery semantics live in `CommandDelivery`.
 */
import { EventEmitter } from 'node:events';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection, type Status } from '@nats-io/transport-node';
import { Server, type CustomTransportStrategy } from '@nestjs/microservices';
import { BusConfigError, describeError } from './bus-errors.ts';
import { nestBusLogger } from './bus-hooks.ts';
import {
  resolveServerOptions,
  type JetStreamServerOptions,
  type ResolvedServerOptions,
} from './bus-options.ts';
import { ClockProbe } from './clock-probe.ts';
import { CommandDelivery } from './command-delivery.ts';
import { ConsumeLoop } from './consume-loop.ts';
import { ensureDurable, ensureStreams, readConsumerLag, type ConsumerLag } from './bus-topology.ts';
import { HopDeadlines } from './hop-deadline.ts';
import { ServerClock } from './server-clock.ts';

/** Connection status events, named as nats.js names them (`disconnect`, `reconnect`, `error`, ...). */
type ServerEvents = Record<Status['type'], (status: Status) => void>;

export const JETSTREAM_TRANSPORT = Symbol('seamline-jetstream');

export class JetStreamServer
  extends Server<ServerEvents, 'connected' | 'disconnected' | 'reconnecting'>
  implements CustomTransportStrategy
{
  override readonly transportId = JETSTREAM_TRANSPORT;
  readonly #o: ResolvedServerOptions;
  readonly #events = new EventEmitter();
  #nc: NatsConnection | undefined;
  #jsm: JetStreamManager | undefined;
  #loop: ConsumeLoop | undefined;
  #probe: ClockProbe | undefined;

  /** Validates the options now; throws `BusConfigError` naming the bad field. */
  constructor(options: JetStreamServerOptions) {
    super();
    const resolved = resolveServerOptions(options);
    this.#o = {
      ...resolved,
      logger: resolved.logger ?? nestBusLogger(`JetStreamServer:${resolved.service}`),
    };
  }

  async listen(callback: (err?: unknown) => void): Promise<void> {
    try {
      this.#checkHandlers();
      const o = this.#o;
      const nc = await connect({
        servers: o.servers,
        name: o.connectionName ?? `seamline-bus-${o.service}`,
      });
      this.#nc = nc;
      void this.#watchStatus(nc);
      const jsm = await jetstreamManager(nc);
      this.#jsm = jsm;
      await ensureStreams(jsm, o);
      await ensureDurable(jsm, {
        stream: o.bus.commandStream,
        durable: o.bus.commandDurable(o.service),
        filterSubject: o.bus.serviceFilter(o.service),
        ackWaitMs: o.ackWaitMs,
        replicas: o.replicas,
        maxAckPending: Math.max(1_000, o.concurrency * 4),
      });
      // Measured before the first delivery: a backlog must not be what teaches us the offset.
      const serverClock = new ServerClock(o.serverClockWindowMs);
      this.#probe = await ClockProbe.start(jsm, serverClock, {
        stream: o.bus.commandStream,
        subject: o.bus.clockProbeSubject(o.service),
        clock: o.clock,
        timeoutMs: o.publishTimeoutMs,
        everyMs: Math.floor(o.serverClockWindowMs / 3),
        ...(o.logger === undefined ? {} : { logger: o.logger }),
      });
      const deadlines = new HopDeadlines({
        serverClock,
        clock: o.clock,
        skewWarnMs: o.skewWarnMs,
        ...(o.logger === undefined ? {} : { logger: o.logger }),
      });
      const delivery = new CommandDelivery(
        o,
        jsm.jetstream(),
        (p) => this.getHandlerByPattern(p),
        deadlines,
      );
      this.#loop = await ConsumeLoop.start(jsm.jetstream(), {
        stream: o.bus.commandStream,
        durable: o.bus.commandDurable(o.service),
        concurrency: o.concurrency,
        logger: o.logger,
        process: (msg) => delivery.process(msg),
      });
      this._status$.next('connected');
      callback();
    } catch (e) {
      await this.close().catch(() => undefined);
      callback(e);
    }
  }

  /** Stops pulling, lets in-flight handlers finish (up to `drainTimeoutMs`), then drains NATS. */
  async close(): Promise<void> {
    const loop = this.#loop;
    const nc = this.#nc;
    const probe = this.#probe;
    this.#probe = undefined;
    this.#loop = undefined;
    this.#nc = undefined;
    this.#jsm = undefined;
    if (loop !== undefined && !(await loop.stop(this.#o.drainTimeoutMs))) {
      this.#o.logger?.warn(
        { service: this.#o.service },
        'closing with handlers still running; they will be redelivered',
      );
    }
    await probe?.stop();
    if (nc !== undefined && !nc.isClosed()) {
      await nc.drain().catch(() => nc.close());
    }
    this.#events.removeAllListeners();
  }

  on<K extends keyof ServerEvents>(event: K, callback: ServerEvents[K]): void {
    this.#events.on(event, callback);
  }

  /** The underlying `NatsConnection` (tests close it to simulate a crash). */
  unwrap<T>(): T {
    if (this.#nc === undefined) {
      throw new BusConfigError('JetStreamServer is not listening; call listen() before unwrap()');
    }
    return this.#nc as T;
  }

  /** Pending (not yet delivered) and ack-pending messages of this service's durable consumer. */
  async consumerLag(): Promise<ConsumerLag[]> {
    if (this.#jsm === undefined) return [];
    return [
      await readConsumerLag(
        this.#jsm,
        this.#o.bus.commandStream,
        this.#o.bus.commandDurable(this.#o.service),
      ),
    ];
  }

  /** Every handler must be a request handler of this service with a payload schema. */
  #checkHandlers(): void {
    const problems: string[] = [];
    for (const [pattern, handler] of this.getHandlers()) {
      if (handler.isEventHandler)
        problems.push(`${pattern}: @EventPattern is not supported, use @MessagePattern`);
      else if (!pattern.startsWith(`${this.#o.service}.`) || pattern.split('.').length !== 2) {
        problems.push(`${pattern}: pattern must be "${this.#o.service}.<action>"`);
      } else if (this.#o.schemas[pattern] === undefined)
        problems.push(`${pattern}: no schema in options.schemas`);
    }
    if (problems.length > 0)
      throw new BusConfigError(`JetStreamServer handlers: ${problems.join('; ')}`);
  }

  async #watchStatus(nc: NatsConnection): Promise<void> {
    try {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect') this._status$.next('disconnected');
        if (s.type === 'reconnecting') this._status$.next('reconnecting');
        if (s.type === 'reconnect') this._status$.next('connected');
        if (s.type === 'error')
          this.#o.logger?.error({ err: describeError(s.error) }, 'nats error');
        // EventEmitter throws on an 'error' nobody listens to; the log line above is enough then.
        if (s.type !== 'error' || this.#events.listenerCount('error') > 0)
          this.#events.emit(s.type, s);
      }
    } catch {
      // status iterator ends with the connection
    }
  }
}
