/**
 * Hunts configuration bugs: a bad variable accepted (or reported without its name), a default
 * that differs from the documented one or from one service to the next, and a service's own
 * variables read differently from the shared ones.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InvalidConfigError } from './config-error.ts';
import { loadEffectServiceConfig, parseEnvironment } from './service-config.ts';

const base = {
  SEAMLINE_PG_URLS:
    'postgres://u@127.0.0.1:5/x,postgres://u@127.0.0.1:6/x,postgres://u@127.0.0.1:7/x',
  SEAMLINE_NATS_URLS: 'nats://127.0.0.1:1,nats://127.0.0.1:2,nats://127.0.0.1:3',
};
const ledger = { service: 'ledger', httpPort: 3900, hostname: 'box.local', pid: 42 };

describe('loadEffectServiceConfig', () => {
  it('applies the documented defaults, named after the service', () => {
    expect(loadEffectServiceConfig(base, ledger)).toEqual({
      postgres: [
        { name: 'pg-1', url: 'postgres://u@127.0.0.1:5/x' },
        { name: 'pg-2', url: 'postgres://u@127.0.0.1:6/x' },
        { name: 'pg-3', url: 'postgres://u@127.0.0.1:7/x' },
      ],
      nats: ['nats://127.0.0.1:1', 'nats://127.0.0.1:2', 'nats://127.0.0.1:3'],
      httpPort: 3900,
      httpHost: '127.0.0.1',
      replicaId: 'ledger-box.local-42',
      database: 'seamline_ledger',
      consistency: 'quorum',
      writeQuorum: 2,
      readQuorum: 2,
      natsReplicas: 3,
      duplicateDelivery: 1,
      attemptTtlMs: 60_000,
      antiEntropyMs: 60_000,
      duplicateCheckMs: 5_000,
      busPrefix: 'SEAMLINE',
      electionBucket: 'seamline-election',
      logLevel: 'info',
      otlpUrl: undefined,
      chaos: false,
      chaosSeed: undefined,
      startStepMs: 30_000,
    });
  });

  it('reads every variable it documents', () => {
    const c = loadEffectServiceConfig(
      {
        ...base,
        SEAMLINE_NATS_URLS: 'nats://127.0.0.1:1',
        SEAMLINE_HTTP_PORT: '0',
        SEAMLINE_REPLICA_ID: 'ledger-7',
        SEAMLINE_DB: 'books',
        SEAMLINE_CONSISTENCY: 'linearizable',
        SEAMLINE_WRITE_QUORUM: '3',
        SEAMLINE_DUPLICATE_DELIVERY: '3',
        SEAMLINE_ATTEMPT_TTL_MS: '5000',
        SEAMLINE_ANTI_ENTROPY_MS: '0',
        SEAMLINE_DUPLICATE_CHECK_MS: '250',
        SEAMLINE_CHAOS: 'on',
        SEAMLINE_CHAOS_SEED: '17',
        SEAMLINE_START_STEP_MS: '5000',
      },
      ledger,
    );
    expect(c).toMatchObject({
      natsReplicas: 1,
      httpPort: 0,
      replicaId: 'ledger-7',
      database: 'books',
      consistency: 'linearizable',
      writeQuorum: 3,
      duplicateDelivery: 3,
      attemptTtlMs: 5000,
      antiEntropyMs: 0,
      duplicateCheckMs: 250,
      chaos: true,
      chaosSeed: 17,
      startStepMs: 5000,
    });
  });

  it('keeps only legal characters of the host in the default replica id', () => {
    const c = loadEffectServiceConfig(base, { ...ledger, hostname: 'my host!', pid: 1 });
    expect(c.replicaId).toBe('ledger-myhost-1');
  });

  it.each([
    [{ SEAMLINE_PG_URLS: undefined }, 'SEAMLINE_PG_URLS'],
    [{ SEAMLINE_PG_URLS: 'mysql://x' }, 'SEAMLINE_PG_URLS'],
    [{ SEAMLINE_NATS_URLS: 'http://x' }, 'SEAMLINE_NATS_URLS'],
    [{ SEAMLINE_HTTP_PORT: '70000' }, 'SEAMLINE_HTTP_PORT'],
    [{ SEAMLINE_REPLICA_ID: 'a b' }, 'SEAMLINE_REPLICA_ID'],
    [{ SEAMLINE_DB: 'Bad-Name' }, 'SEAMLINE_DB'],
    [{ SEAMLINE_DUPLICATE_DELIVERY: '0' }, 'SEAMLINE_DUPLICATE_DELIVERY'],
    [{ SEAMLINE_ATTEMPT_TTL_MS: '0' }, 'SEAMLINE_ATTEMPT_TTL_MS'],
    [{ SEAMLINE_CHAOS: 'yes' }, 'SEAMLINE_CHAOS'],
    [{ SEAMLINE_OTLP_URL: 'not a url' }, 'SEAMLINE_OTLP_URL'],
    [{ SEAMLINE_START_STEP_MS: '0' }, 'SEAMLINE_START_STEP_MS'],
  ])('names the bad variable (%o)', (override, name) => {
    expect(() => loadEffectServiceConfig({ ...base, ...override }, ledger)).toThrow(
      new RegExp(`^invalid configuration: ${name}: `),
    );
  });
});

describe('parseEnvironment', () => {
  const own = z.object({ SEAMLINE_LEDGER_MODE: z.enum(['strict', 'lax']).default('strict') });

  it('reads a service variable with its default', () => {
    expect(parseEnvironment(own, {})).toEqual({ SEAMLINE_LEDGER_MODE: 'strict' });
  });

  it('throws an InvalidConfigError naming the variable', () => {
    expect(() => parseEnvironment(own, { SEAMLINE_LEDGER_MODE: 'loose' })).toThrow(
      InvalidConfigError,
    );
    expect(() => parseEnvironment(own, { SEAMLINE_LEDGER_MODE: 'loose' })).toThrow(
      /^invalid configuration: SEAMLINE_LEDGER_MODE: /,
    );
  });
});
