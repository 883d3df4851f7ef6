/**
 * What a caller of the quorum store must do, by class (never by message):
 * - {@link IndeterminateWriteError}: the write may exist on fewer than W replicas. Not a clean
 *   failure: re-drive the same write (same version) or read back before deciding anything.
 * - {@link QuorumUnavailableError}: no replica applied anything (or a read found too few replicas).
 *   Retryable later.
 * - {@link FencedError}: a replica holds a higher fencing token, or the same token installed by
 *   another holder. The writer is stale and must stop leading at once; retrying can never succeed.
 */
export type QuorumErrorCode = 'QUORUM_INDETERMINATE' | 'QUORUM_UNAVAILABLE' | 'FENCED';

export abstract class QuorumError extends Error {
  abstract readonly code: QuorumErrorCode;
  abstract readonly retryable: boolean;
}

export interface ReplicaFailure {
  readonly replica: string;
  readonly reason: string;
}

export class IndeterminateWriteError extends QuorumError {
  readonly code = 'QUORUM_INDETERMINATE' as const;
  readonly retryable = true;
  constructor(
    readonly acks: number,
    readonly needed: number,
    readonly failures: readonly ReplicaFailure[],
    options?: ErrorOptions,
  ) {
    super(
      `write is indeterminate: ${acks}/${needed} acks; it may have applied on fewer than ${needed} replicas (${describe(failures)})`,
      options,
    );
    this.name = 'IndeterminateWriteError';
  }
}

export class QuorumUnavailableError extends QuorumError {
  readonly code = 'QUORUM_UNAVAILABLE' as const;
  readonly retryable = true;
  constructor(
    readonly operation: string,
    readonly responses: number,
    readonly needed: number,
    readonly failures: readonly ReplicaFailure[],
    options?: ErrorOptions,
  ) {
    super(
      `${operation} unavailable: ${responses}/${needed} replicas answered (${describe(failures)})`,
      options,
    );
    this.name = 'QuorumUnavailableError';
  }
}

export class FencedError extends QuorumError {
  readonly code = 'FENCED' as const;
  readonly retryable = false;
  constructor(
    readonly domain: string,
    readonly staleToken: number,
    readonly installedToken: number,
    readonly replica: string,
    /** True when some replica applied the write before the rejection was known. */
    readonly mayHaveApplied: boolean,
    /** The holder of the installed fence, when the replica named it. */
    readonly installedHolder?: string,
  ) {
    super(
      `fenced: token ${staleToken} rejected by ${replica} which installed ${installedToken}${
        installedToken === staleToken ? ` for another holder (${installedHolder ?? '?'})` : ''
      } for ${domain}`,
    );
    this.name = 'FencedError';
  }
}

function describe(failures: readonly ReplicaFailure[]): string {
  return failures.length === 0
    ? 'no failures'
    : failures.map((f) => `${f.replica}: ${f.reason}`).join('; ');
}
