import type { BusCommand } from '@seamline/bus';
import { RetryableCommandError } from '@seamline/bus';
import type { EffectOutcome } from '@seamline/idempotency';
import { bindSagaContext } from '@seamline/observability';
import { FencedError } from '@seamline/quorum-store';
import type { EffectServiceRuntime } from './effect-runtime.ts';

/** Whether an effect may still start new work; asked under the key's lock, after the replay check. */
export interface StartGate {
  readonly mayStart: () => boolean;
}

/**
 * Runs one bus command's effect for a handler and answers with its result. Every arrival is
 * counted first, per effect key and cause, whatever happens next (a replay from the idempotency
 * store, a failure): it is what the layers above really sent here. Every line is bound
 * to the saga step and the writer's token; a failed write first goes to `onWriteError` (a
 * FencedError stops the writer), then keeps its `code` and `retryable` flag on the way out,
 * except that a fenced write is redelivered (`FENCED`, retryable) so the successor answers it.
 *
 * `run` gets the command's start gate: the transport hands late deliveries to the handler too
 * (`expired: 'handler'`), so an effect applied by an earlier delivery is answered from its stored
 * result whatever the deadline, and only a key with no result is refused (DEADLINE_EXCEEDED).
 */
export async function runEffectCommand<R>(
  rt: EffectServiceRuntime<unknown>,
  cmd: BusCommand<unknown>,
  operation: string,
  run: (gate: StartGate) => Promise<EffectOutcome<R>>,
): Promise<R> {
  rt.arrivals.arrived(cmd, operation);
  const log = bindSagaContext(rt.log, {
    sagaId: cmd.sagaId,
    step: cmd.step,
    token: rt.writer.token,
  });
  try {
    const out = await run({ mayStart: () => cmd.remainingMs() > 0 });
    log.debug(
      { operation, key: cmd.idempotencyKey, replayed: out.replayed, result: out.result },
      'effect answered',
    );
    return out.result;
  } catch (err) {
    rt.onWriteError(err);
    const e = err as { code?: string; retryable?: boolean; message?: string };
    log.warn(
      {
        operation,
        key: cmd.idempotencyKey,
        code: e.code,
        retryable: e.retryable,
        err: e.message,
      },
      'effect failed',
    );
    if (err instanceof FencedError) throw new RetryableCommandError('FENCED', err.message);
    throw err;
  }
}
