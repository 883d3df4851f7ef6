/**
 * W3C trace context across the bus, through whatever propagator the app's OTel SDK registered.
 * Without an SDK the API is a no-op: outgoing messages carry no `traceparent`, and incoming ones
 * are still run in the context their `traceparent` describes once an SDK is present.
 */
import { context, propagation, ROOT_CONTEXT } from '@opentelemetry/api';

/** The active context's `traceparent`, if a propagator produces one. */
export function activeTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier['traceparent'];
}

/** Runs `fn` inside the trace context a message carried (or the current one if it carried none). */
export function withRemoteTrace<T>(traceparent: string | undefined, fn: () => T): T {
  if (traceparent === undefined) return fn();
  return context.with(propagation.extract(ROOT_CONTEXT, { traceparent }), fn);
}
