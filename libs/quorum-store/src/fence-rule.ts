/**
 * The fencing rule every replica applies, in the same statement as the write or fence it guards
 * (replica.ts holds the SQL form; this is the reference the property tests exercise).
 *
 * A fence is a token AND the holder that installed it. Tokens come from the NATS election,
 * which can repeat one after a crash of a majority of its nodes (ADR 0010): with the token alone,
 * two holders of the same token would both pass the fence and both collect W acks. So a replica
 * admits a token strictly above its fence, or the fence's own token from the fence's own holder,
 * never the same token from someone else.
 */

/** What one replica holds for one domain. An empty holder owns nothing (see {@link admits}). */
export interface InstalledFence {
  readonly token: number;
  readonly holder: string;
}

/**
 * The fence of a domain nobody fenced yet. Its empty holder (also that of fences installed
 * before holders were recorded) owns nothing: any holder may take its token over.
 */
export const NO_FENCE: InstalledFence = { token: 0, holder: '' };

/** Whether a replica holding `installed` accepts a write or a fence of `token` by `holder`. */
export function admits(installed: InstalledFence, token: number, holder: string): boolean {
  if (token > installed.token) return true;
  return token === installed.token && (installed.holder === '' || installed.holder === holder);
}

/**
 * The token a new term claims, given the fences read from a write quorum of replicas (which
 * intersects every set a fence was ever installed on): the election's `proposed` token, or, when
 * the election handed out a token that is not above them (its stream lost writes), one more than
 * the highest. A term's token thus never repeats and never goes back, whatever NATS forgot.
 */
export function claimToken(proposed: number, found: readonly InstalledFence[]): number {
  const highest = found.reduce((max, f) => Math.max(max, f.token), 0);
  return proposed > highest ? proposed : highest + 1;
}
