/**
 * Hunts replica-list bugs: names lost, invented or duplicated, a URL whose query string holds
 * an '=' taken for a name, a non-postgres URL accepted, and a bad list reported without the
 * variable that holds it.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InvalidConfigError } from './config-error.ts';
import { parsePostgresUrls, postgresUrlsField } from './postgres-urls.ts';

describe('parsePostgresUrls', () => {
  it('keeps given names and names plain urls by position', () => {
    expect(parsePostgresUrls('a=postgres://h:1/d, b=postgres://h:2/d')).toEqual([
      { name: 'a', url: 'postgres://h:1/d' },
      { name: 'b', url: 'postgres://h:2/d' },
    ]);
    expect(parsePostgresUrls('postgres://h:1/d,,postgresql://h:2/d').map((r) => r.name)).toEqual([
      'pg-1',
      'pg-2',
    ]);
  });

  it('does not take an = inside a url for a name', () => {
    expect(parsePostgresUrls('postgres://u:p@h:1/d?sslmode=disable')).toEqual([
      { name: 'pg-1', url: 'postgres://u:p@h:1/d?sslmode=disable' },
    ]);
  });

  it.each([
    ['a=postgres://h:1/d,a=postgres://h:2/d', 'replica names must be unique'],
    ['mysql://h/d', 'not a postgres url: mysql://h/d'],
    ['pg-1=http://h/d', 'not a postgres url: http://h/d'],
    [' , ', 'no urls'],
  ])('refuses %j with an error naming the variable', (raw, problem) => {
    const err = (() => {
      try {
        parsePostgresUrls(raw);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InvalidConfigError);
    expect(err).toMatchObject({ variable: 'SEAMLINE_PG_URLS', problem });
    expect((err as Error).message).toBe(`invalid configuration: SEAMLINE_PG_URLS: ${problem}`);
  });
});

describe('postgresUrlsField', () => {
  const env = z.object({ SEAMLINE_PG_URLS: postgresUrlsField });

  it('parses the list inside an environment schema', () => {
    expect(env.parse({ SEAMLINE_PG_URLS: 'x=postgres://h/d' }).SEAMLINE_PG_URLS).toEqual([
      { name: 'x', url: 'postgres://h/d' },
    ]);
  });

  it('turns a bad list into an issue on that variable', () => {
    const parsed = env.safeParse({ SEAMLINE_PG_URLS: 'mysql://h/d' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues).toMatchObject([
      { path: ['SEAMLINE_PG_URLS'], message: 'not a postgres url: mysql://h/d' },
    ]);
  });
});
