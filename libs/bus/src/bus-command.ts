/**
 * What a `@MessagePattern('<service>.<action>')` handler receives, plus the Nest RPC context.
 */
import { BaseRpcContext } from '@nestjs/microservices';
import type { CommandMeta } from './bus-headers.ts';

/** A parsed, schema-checked command, as handed to a handler. */
export type BusCommand<T> = {
  /** `<service>.<action>` */
  readonly pattern: string;
  readonly payload: T;
  readonly sagaId: string;
  readonly step: string;
  /** `sagaId:step:action`: store the effect under this key, in the effect's transaction. */
  readonly idempotencyKey: string;
  /**
   * The handler's own absolute deadline, epoch ms on this host's clock (the server's `clock`): the
   * caller's deadline as it arrived (its budget, less the time the command spent in the stream)
   * minus the reply reserve, so strictly earlier than the caller's. Propagate this one downstream:
   * `BusClient.send` turns it back into a budget.
   */
  readonly deadline: number;
  readonly attempt: number;
  readonly traceparent: string | undefined;
  /** Requester that receives the reply. */
  readonly replyTo: string;
  /** JetStream delivery count (1 on first delivery; the duplicate-delivery test switch adds to it). */
  readonly deliveryCount: number;
  /** Milliseconds left before `deadline`, from the server's clock; <= 0 means stop. */
  remainingMs(): number;
  /** Aborts when `deadline` passes. */
  readonly signal: AbortSignal;
};

type BusContextArgs = [subject: string, deliveryCount: number, streamSequence: number];

/** Nest RPC context for bus handlers (`@Ctx() ctx: BusContext`). */
export class BusContext extends BaseRpcContext<BusContextArgs> {
  getSubject(): string {
    return this.args[0];
  }
  getDeliveryCount(): number {
    return this.args[1];
  }
  getStreamSequence(): number {
    return this.args[2];
  }
}

/** Builds the handler's view of a command. */
export function busCommand<T>(input: {
  pattern: string;
  payload: T;
  meta: CommandMeta;
  deliveryCount: number;
  reserveMs: number;
  clock: () => number;
  /**
   * The caller's deadline on this host's clock (`HopDeadlines.of`).
   * @default meta.deadline (a sender on this host's clock)
   */
  deadline?: number;
}): BusCommand<T> {
  const { meta, clock } = input;
  const deadline = (input.deadline ?? meta.deadline) - input.reserveMs;
  const remaining = (): number => deadline - clock();
  return {
    pattern: input.pattern,
    payload: input.payload,
    sagaId: meta.sagaId,
    step: meta.step,
    idempotencyKey: meta.idempotencyKey,
    deadline,
    attempt: meta.attempt,
    traceparent: meta.traceparent,
    replyTo: meta.replyTo,
    deliveryCount: input.deliveryCount,
    remainingMs: remaining,
    signal: deadlineSignal(remaining()),
  };
}

/** Real-time signal (the injected clock only drives `remainingMs`). */
function deadlineSignal(remainingMs: number): AbortSignal {
  // setTimeout's ceiling is ~24.8 days; a deadline further out than that never aborts.
  if (remainingMs > 2 ** 31 - 1) return new AbortController().signal;
  return AbortSignal.timeout(Math.max(0, Math.floor(remainingMs)));
}
