/**
 * Hunts a replica list the order service reads differently from payment and inventory (it
 * shares their parser): names lost or duplicated, a non-postgres URL accepted, and an error
 * that does not name the variable.
 */
import { describe, expect, it } from 'vitest';
import { readOrderConfig } from './config.ts';

const nats = { SEAMLINE_NATS_URLS: 'nats://127.0.0.1:1' };

describe('readOrderConfig: SEAMLINE_PG_URLS', () => {
  it('keeps given names and names plain urls by position', () => {
    expect(
      readOrderConfig({ ...nats, SEAMLINE_PG_URLS: 'a=postgres://h:1/d,postgres://h:2/d' })
        .postgres,
    ).toEqual([
      { name: 'a', url: 'postgres://h:1/d' },
      { name: 'pg-2', url: 'postgres://h:2/d' },
    ]);
  });

  it.each(['mysql://h/d', 'a=postgres://h:1/d,a=postgres://h:2/d', ''])(
    'refuses %j naming the variable',
    (urls) => {
      expect(() => readOrderConfig({ ...nats, SEAMLINE_PG_URLS: urls })).toThrow(
        /SEAMLINE_PG_URLS: /,
      );
    },
  );
});

describe('readOrderConfig: SEAMLINE_ATTEMPT_TTL_MS', () => {
  const base = { ...nats, SEAMLINE_PG_URLS: 'postgres://h:1/d' };

  it('defaults to a minute and reads a given value', () => {
    expect(readOrderConfig(base).attemptTtlMs).toBe(60_000);
    expect(readOrderConfig({ ...base, SEAMLINE_ATTEMPT_TTL_MS: '2500' }).attemptTtlMs).toBe(2_500);
  });

  it('refuses a ttl that is not a positive integer, naming the variable', () => {
    expect(() => readOrderConfig({ ...base, SEAMLINE_ATTEMPT_TTL_MS: '0' })).toThrow(
      /SEAMLINE_ATTEMPT_TTL_MS: /,
    );
  });
});

describe('readOrderConfig: admission and anti-entropy', () => {
  const base = { ...nats, SEAMLINE_PG_URLS: 'postgres://h:1/d' };

  it('documents its defaults and reads given values', () => {
    expect(readOrderConfig(base)).toMatchObject({
      maxOpenSagas: 1000,
      maxStoreBacklog: 40,
      antiEntropyMs: 60_000,
    });
    expect(
      readOrderConfig({
        ...base,
        SEAMLINE_MAX_OPEN_SAGAS: '5',
        SEAMLINE_MAX_STORE_BACKLOG: '7',
        SEAMLINE_ANTI_ENTROPY_MS: '0',
      }),
    ).toMatchObject({ maxOpenSagas: 5, maxStoreBacklog: 7, antiEntropyMs: 0 });
  });

  it.each([
    ['SEAMLINE_MAX_OPEN_SAGAS', '0'],
    ['SEAMLINE_MAX_STORE_BACKLOG', '-1'],
    ['SEAMLINE_ANTI_ENTROPY_MS', 'soon'],
  ])('refuses %s=%j, naming the variable', (name, value) => {
    expect(() => readOrderConfig({ ...base, [name]: value })).toThrow(new RegExp(`${name}: `));
  });
});

describe('readOrderConfig: SEAMLINE_START_STEP_MS', () => {
  const base = { ...nats, SEAMLINE_PG_URLS: 'postgres://h:1/d' };

  it('bounds each start-up step by 30 s unless told otherwise', () => {
    expect(readOrderConfig(base).startStepMs).toBe(30_000);
    expect(readOrderConfig({ ...base, SEAMLINE_START_STEP_MS: '5000' }).startStepMs).toBe(5_000);
  });

  it('refuses a bound that is not a positive integer of at least 100 ms, naming the variable', () => {
    for (const bad of ['0', '50', 'soon'])
      expect(() => readOrderConfig({ ...base, SEAMLINE_START_STEP_MS: bad })).toThrow(
        /SEAMLINE_START_STEP_MS: /,
      );
  });
});
