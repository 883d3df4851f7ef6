/**
 * Hunts: options that are silently accepted when wrong (a typo'd limit reaching JetStream), a
 * failure message that does not name the field, defaults that drift from their documentation.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BusConfigError } from './bus-errors.ts';
import { resolveClientOptions, resolveServerOptions } from './bus-options.ts';

const base = {
  servers: ['nats://127.0.0.1:4222'],
  service: 'payment',
  schemas: { 'payment.charge': z.object({}) },
};

describe('server options', () => {
  it('fills the documented defaults', () => {
    const o = resolveServerOptions(base);
    expect(o).toMatchObject({
      replicas: 3,
      maxAgeMs: 86_400_000,
      duplicateWindowMs: 120_000,
      ackWaitMs: 30_000,
      maxDeliver: 5,
      concurrency: 16,
      duplicateDelivery: 1,
      replyReserveMs: 10,
      publishTimeoutMs: 5_000,
      backoff: { baseMs: 250, maxMs: 10_000 },
    });
    expect(o.bus.commandStream).toBe('SEAMLINE_CMD');
    expect(o.bus.commandSubject('payment', 'charge')).toBe('seamline.cmd.payment.charge');
    expect(o.bus.replyDurable('order')).toBe('order-replies');
  });

  it.each([
    [{ maxDeliver: 0 }, 'maxDeliver'],
    [{ concurrency: 2.5 }, 'concurrency'],
    [{ service: 'Payment.Svc' }, 'service'],
    [{ servers: [] }, 'servers'],
    [{ naming: { streamPrefix: 'lower' } }, 'streamPrefix'],
    [{ schemas: { 'payment.charge': { not: 'zod' } } }, 'schemas["payment.charge"]'],
    [{ duplicateWindowMs: 7_200_000, maxAgeMs: 3_600_000 }, 'duplicateWindowMs'],
  ])('rejects %j naming the field', (override, field) => {
    expect(() => resolveServerOptions({ ...base, ...(override as object) } as never)).toThrow(
      BusConfigError,
    );
    expect(() => resolveServerOptions({ ...base, ...(override as object) } as never)).toThrow(
      field,
    );
  });
});

describe('client options', () => {
  it('needs either servers or a connection', () => {
    expect(() => resolveClientOptions({ requester: 'order' })).toThrow(/servers/);
    expect(resolveClientOptions({ requester: 'order', servers: ['nats://x:1'] }).requester).toBe(
      'order',
    );
  });
});
