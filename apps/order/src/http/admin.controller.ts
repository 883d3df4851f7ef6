import { Controller, Get, Inject } from '@nestjs/common';
import type { Orchestrator } from '../orchestrator/orchestrator.ts';
import { ORCHESTRATOR } from '../order.tokens.ts';

/**
 * Operator views of the orchestrator. Only the leader holds the open sagas, so a follower says
 * it is not leading (the CLI asks every replica and prints the leader's answer).
 */
@Controller('admin')
export class AdminController {
  constructor(@Inject(ORCHESTRATOR) private readonly orchestrator: Orchestrator) {}

  /** Sagas whose compensation keeps failing: visible, never silently dropped. */
  @Get('sagas/stuck')
  stuck(): { leader: boolean; token: number | null; stuck: unknown[] } {
    return {
      leader: this.orchestrator.leading,
      token: this.orchestrator.currentToken ?? null,
      stuck: this.orchestrator.stuckSagas().map((s) => ({
        orderId: s.orderId,
        status: s.status,
        reason: s.reason,
        compensating: s.outstanding?.action ?? null,
        sends: s.outstanding?.sends ?? 0,
        since: new Date(s.outstanding?.sentAt ?? s.createdAt).toISOString(),
      })),
    };
  }
}
