import { Body, Controller, Get, Header, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { z } from 'zod';
import type { ActionSends, Orchestrator, QuarantineResult } from '../orchestrator/orchestrator.ts';
import { NotLeaderError, QuarantineRefusedError } from '../orchestrator/orchestrator.ts';
import { CLIENT_ATTEMPTS, ORCHESTRATOR } from '../order.tokens.ts';
import type { ClientAttempts } from './client-attempts.ts';
import { ProblemError } from './problem.ts';

/** What `GET /admin/attempts/:orderId` answers: the order's attempts as this replica saw them. */
export interface OrderAttempts {
  readonly orderId: string;
  /** Whether this replica leads (only the leader drives sagas and answers POSTs for a key). */
  readonly leader: boolean;
  /** POST /orders requests for the order's Idempotency-Key answered here, while remembered. */
  readonly client: { readonly requests: number };
  /** Sends per action while this replica drives the saga; null when it does not (or it ended). */
  readonly orchestrator: { readonly steps: readonly ActionSends[] } | null;
}

const quarantineBody = z.strictObject({
  note: z.string().min(1).max(200).default('no note'),
});

/**
 * Operator views of the orchestrator. Only the leader holds the open sagas, so a follower says
 * it is not leading (the CLI asks every replica and prints the leader's answer).
 */
@Controller('admin')
export class AdminController {
  constructor(
    @Inject(ORCHESTRATOR) private readonly orchestrator: Orchestrator,
    @Inject(CLIENT_ATTEMPTS) private readonly clientAttempts: ClientAttempts,
  ) {}

  /** Sagas whose compensation keeps failing: visible, never silently dropped. */
  @Get('sagas/stuck')
  stuck(): { leader: boolean; token: number | null; stuck: unknown[] } {
    return {
      leader: this.orchestrator.leading,
      token: this.orchestrator.currentToken ?? null,
      stuck: this.orchestrator.stuckSagas().map((s) => {
        const parked = this.orchestrator.parkedReason(s.orderId);
        return {
          orderId: s.orderId,
          status: s.status,
          reason: s.reason,
          compensating: parked?.action ?? s.outstanding?.action ?? null,
          sends: s.outstanding?.sends ?? 0,
          since: new Date(parked?.since ?? s.outstanding?.sentAt ?? s.createdAt).toISOString(),
          // Parked: not retried at all until an operator quarantines it.
          parked: parked === undefined ? null : { code: parked.code, detail: parked.detail },
        };
      }),
    };
  }

  /**
   * The operator's way out for a parked saga (`npm run sagas -- quarantine <orderId>`): the
   * compensations that cannot be built are skipped, the others run, the saga ends CANCELLED.
   * 409 for a saga the orchestrator can still drive, 421 on a replica that does not lead.
   */
  @Post('sagas/:orderId/quarantine')
  @HttpCode(200)
  async quarantine(
    @Param('orderId') orderId: string,
    @Body() body: unknown,
  ): Promise<Omit<QuarantineResult, 'saga'> & { status: string }> {
    const parsed = quarantineBody.safeParse(body ?? {});
    if (!parsed.success)
      throw new ProblemError(400, 'Invalid quarantine request', 'note: 1-200 characters', [
        { field: 'note', message: parsed.error.issues[0]?.message ?? 'invalid' },
      ]);
    try {
      const r = await this.orchestrator.quarantine(orderId, parsed.data.note);
      return {
        orderId: r.orderId,
        skipped: r.skipped,
        leftApplied: r.leftApplied,
        status: r.saga.status,
      };
    } catch (err) {
      if (err instanceof NotLeaderError)
        throw new ProblemError(421, 'Not the leader', 'ask the order leader', []);
      if (err instanceof QuarantineRefusedError)
        throw new ProblemError(
          err.code === 'NOT_FOUND' ? 404 : 409,
          'Not quarantined',
          err.message,
          [{ field: 'orderId', message: err.code === 'NOT_FOUND' ? 'no open saga' : 'not parked' }],
        );
      throw err;
    }
  }

  /**
   * The order's attempts per layer on this replica: client requests for its key and, while the
   * saga is open here, the orchestrator's sends per action with each effect key (ask payment or
   * inventory `GET /ops/attempts/:key` for the arrivals). 404 when this replica knows neither.
   */
  @Get('attempts/:orderId')
  @Header('cache-control', 'no-store')
  attempts(@Param('orderId') orderId: string): OrderAttempts {
    const requests = this.clientAttempts.requests(orderId);
    const steps = this.orchestrator.sendsOf(orderId);
    if (requests === 0 && steps === undefined) {
      throw new ProblemError(
        404,
        'No attempts known',
        `this replica neither counted requests for ${orderId} in the last ${this.clientAttempts.ttlMs} ms nor drives its saga`,
        [{ field: 'orderId', message: 'unknown here' }],
      );
    }
    return {
      orderId,
      leader: this.orchestrator.leading,
      client: { requests },
      orchestrator: steps === undefined ? null : { steps },
    };
  }
}
