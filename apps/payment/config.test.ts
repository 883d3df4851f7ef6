/**
 * Hunts payment-specific configuration bugs: defaults that differ from the documented ones
 * (port 3100, database seamline_payment) and a test switch read wrongly or silently accepted.
 * The shared variables are tested in @seamline/effect-service.
 */
import { describe, expect, it } from 'vitest';
import { loadPaymentConfig } from './config.ts';

const base = {
  SEAMLINE_PG_URLS: 'postgres://u@127.0.0.1:5/x',
  SEAMLINE_NATS_URLS: 'nats://127.0.0.1:1',
};

describe('loadPaymentConfig', () => {
  it("applies payment's defaults", () => {
    const c = loadPaymentConfig(base);
    expect(c).toMatchObject({ httpPort: 3100, database: 'seamline_payment', unsafeNoDedup: [] });
    expect(c.replicaId).toMatch(/^payment-/);
  });

  it.each([
    ['on', ['charge', 'refund']],
    ['refund,refund', ['refund']],
  ])('reads SEAMLINE_UNSAFE_NO_DEDUP=%s', (value, ops) => {
    expect(loadPaymentConfig({ ...base, SEAMLINE_UNSAFE_NO_DEDUP: value }).unsafeNoDedup).toEqual(
      ops,
    );
  });

  it('names a bad shared or payment variable', () => {
    expect(() => loadPaymentConfig({ ...base, SEAMLINE_PG_URLS: 'mysql://x' })).toThrow(
      'SEAMLINE_PG_URLS',
    );
    expect(() => loadPaymentConfig({ ...base, SEAMLINE_UNSAFE_NO_DEDUP: 'capture' })).toThrow(
      'SEAMLINE_UNSAFE_NO_DEDUP',
    );
  });
});
