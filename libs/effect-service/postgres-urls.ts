/**
 * The replica list of a quorum store as one environment variable: `SEAMLINE_PG_URLS` holds
 * `pg-1=postgres://a,pg-2=postgres://b` or plain `postgres://a,postgres://b` (named pg-1, pg-2,
 * ...). Every service parses it here, so a list one service accepts no other refuses.
 */
import { z } from 'zod';
import { InvalidConfigError } from './config-error.ts';

/** One Postgres instance of the quorum: its replica name and connection URL. */
export interface PostgresReplicaUrl {
  readonly name: string;
  readonly url: string;
}

/** The variable every service reads its replica list from. */
export const POSTGRES_URLS_VARIABLE = 'SEAMLINE_PG_URLS';

/**
 * Parses a replica list; names must be unique (they label metrics and repairs).
 * @throws InvalidConfigError naming `variable` (@default `SEAMLINE_PG_URLS`)
 */
export function parsePostgresUrls(
  raw: string,
  variable: string = POSTGRES_URLS_VARIABLE,
): PostgresReplicaUrl[] {
  const entries = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const out = entries.map((entry, i) => {
    const eq = entry.indexOf('=');
    // A URL has a ':' before any '=' of its query string; a name never does.
    const named = eq > 0 && !entry.slice(0, eq).includes(':');
    const name = named ? entry.slice(0, eq) : `pg-${i + 1}`;
    const url = named ? entry.slice(eq + 1) : entry;
    if (!/^postgres(ql)?:\/\//.test(url) || !URL.canParse(url)) {
      throw new InvalidConfigError(variable, `not a postgres url: ${url}`);
    }
    return { name, url };
  });
  if (out.length === 0) throw new InvalidConfigError(variable, 'no urls');
  if (new Set(out.map((r) => r.name)).size !== out.length) {
    throw new InvalidConfigError(variable, 'replica names must be unique');
  }
  return out;
}

/**
 * The same parser as a zod field for an environment schema: a bad list becomes an issue on
 * that field, so the schema's own error reporting names the variable.
 */
export const postgresUrlsField = z
  .string()
  .min(1, 'required')
  .transform((raw, ctx) => {
    try {
      return parsePostgresUrls(raw);
    } catch (err) {
      if (!(err instanceof InvalidConfigError)) throw err;
      ctx.addIssue({ code: 'custom', message: err.problem });
      return z.NEVER;
    }
  });
