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
