/**
 * Optional global RPC exception filter that keeps a handler error's code, message and retry
 * decision on the way to the transport.
 *
 * Without it, a plain `Error` thrown from a handler reaches the transport as Nest's generic
 * "Internal server error" (still retried, but the dead-letter reason loses the real message).
 * Errors from the app's own taxonomy are understood structurally: a string `code` plus
 * `retryable: boolean` (or `terminal: true`). Install with
 * `app.useGlobalFilters(new BusExceptionFilter())`.
 */
import type { ArgumentsHost, RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';
import { toBusFailure, type BusFailure } from './bus-errors.ts';

export class BusExceptionFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, _host: ArgumentsHost): Observable<BusFailure> {
    const failure = toBusFailure(exception);
    return throwError(() => failure);
  }
}
