/**
 * Runs a Nest message handler and settles it into a `HandlerOutcome`.
 *
 * Nest wraps every `@MessagePattern` method (guards, pipes, interceptors, exception filters) into
 * a function returning a promise of a value or of an Observable whose error is whatever the
 * filters produced. Either way the result is the last emitted value; the outcome is decided only
 * once the handler's work has finished.
 */
import type { MessageHandler } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import type { BusCommand } from './bus-command.ts';
import type { BusContext } from './bus-command.ts';
import { toBusFailure } from './bus-errors.ts';
import type { HandlerOutcome } from './delivery-policy.ts';

export async function settleHandler(
  handler: MessageHandler,
  cmd: BusCommand<unknown>,
  ctx: BusContext,
): Promise<HandlerOutcome> {
  try {
    const produced: unknown = await handler(cmd, ctx);
    const result = isObservable(produced)
      ? await lastValueFrom(produced, { defaultValue: undefined })
      : produced;
    return { kind: 'ok', result };
  } catch (e) {
    return { kind: 'failed', failure: toBusFailure(e) };
  }
}
