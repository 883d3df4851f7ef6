import { context } from '@opentelemetry/api';
import type { Context, TextMapGetter, TextMapSetter } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/**
 * Carries trace context across bus messages (W3C `traceparent`/`tracestate`).
 *
 * The helpers use the W3C propagator directly rather than the global one, so
 * the wire format is the same whichever propagators a process registers, and
 * they are inert when tracing is off (the no-op context has no span to inject).
 */
const propagator = new W3CTraceContextPropagator();

/** Header names written by {@link injectTraceparent}. */
export const TRACE_HEADERS = ['traceparent', 'tracestate'] as const;

/** Incoming headers as a bus adapter may present them (NATS allows repeated keys). */
export type IncomingHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

const setter: TextMapSetter<Record<string, string>> = {
  set(carrier, key, value) {
    carrier[key] = value;
  },
};

// Header names are case-insensitive on HTTP and some NATS clients canonicalise
// them (`Traceparent`), so look keys up without regard to case.
const getter: TextMapGetter<IncomingHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get(carrier, key) {
    const exact = carrier[key];
    if (exact !== undefined) return toGetterValue(exact);
    const wanted = key.toLowerCase();
    for (const [name, value] of Object.entries(carrier)) {
      if (name.toLowerCase() === wanted && value !== undefined) return toGetterValue(value);
    }
    return undefined;
  },
};

function toGetterValue(value: string | readonly string[]): string | string[] {
  return typeof value === 'string' ? value : [...value];
}

/**
 * Writes the active span's `traceparent` (and `tracestate` when set) into
 * `headers` and returns the same object. Writes nothing when no span is active.
 */
export function injectTraceparent(
  headers: Record<string, string>,
  from: Context = context.active(),
): Record<string, string> {
  propagator.inject(from, headers, setter);
  return headers;
}

/** The context described by `headers`, on top of `base`; `base` itself when they carry none. */
export function extractContext(
  headers: IncomingHeaders,
  base: Context = context.active(),
): Context {
  return propagator.extract(base, headers, getter);
}

/**
 * Runs `fn` with the context carried by `headers` active, so spans it starts
 * are children of the sender's span. A message without (or with a malformed)
 * `traceparent` runs in the current context: tracing never rejects a message.
 */
export function withExtractedContext<T>(headers: IncomingHeaders, fn: () => T): T {
  return context.with(extractContext(headers), fn);
}
