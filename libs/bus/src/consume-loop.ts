/**
 * Pulls from one durable consumer and hands each message to `process`, at most `concurrency` at a
 * time. Shared by the command server and the reply consumer.
 *
 * Stopping closes the pull first (no new work), naks anything pulled but not started (so another
 * process can take it at once instead of after ack_wait), then waits for running work.
 */
import type { ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { describeError } from './bus-errors.ts';
import type { BusLogger } from './bus-hooks.ts';
import { ConcurrencyLimit } from './concurrency-limit.ts';

export type ConsumeLoopOptions = {
  readonly stream: string;
  readonly durable: string;
  readonly concurrency: number;
  readonly logger?: BusLogger;
  /** Must settle every message it is given (ack, nak or term); a rejection is only logged. */
  readonly process: (msg: JsMsg) => Promise<void>;
};

export class ConsumeLoop {
  readonly #messages: ConsumerMessages;
  readonly #limit: ConcurrencyLimit;
  readonly #o: ConsumeLoopOptions;
  readonly #finished: Promise<void>;
  #stopping = false;

  private constructor(messages: ConsumerMessages, options: ConsumeLoopOptions) {
    this.#messages = messages;
    this.#o = options;
    this.#limit = new ConcurrencyLimit(options.concurrency);
    this.#finished = this.#run();
  }

  static async start(js: JetStreamClient, options: ConsumeLoopOptions): Promise<ConsumeLoop> {
    const consumer = await js.consumers.get(options.stream, options.durable);
    const messages = await consumer.consume({ max_messages: options.concurrency });
    return new ConsumeLoop(messages, options);
  }

  /** Stops pulling and waits up to `drainTimeoutMs` for running messages; true if all settled. */
  async stop(drainTimeoutMs: number): Promise<boolean> {
    this.#stopping = true;
    await this.#messages.close();
    await this.#finished;
    return this.#limit.drained(drainTimeoutMs);
  }

  async #run(): Promise<void> {
    try {
      for await (const msg of this.#messages) {
        await this.#limit.acquire();
        if (this.#stopping) {
          this.#limit.release();
          try {
            msg.nak();
          } catch {
            // connection already gone: ack_wait brings it back
          }
          continue;
        }
        this.#limit.run(
          () => this.#o.process(msg),
          (e) =>
            this.#o.logger?.error(
              { err: describeError(e), subject: msg.subject },
              'message processing failed',
            ),
        );
      }
    } catch (e) {
      if (!this.#stopping) {
        this.#o.logger?.error(
          { err: describeError(e), durable: this.#o.durable },
          'consumer stopped',
        );
      }
    }
  }
}
