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
