import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { SeamlineMetrics } from '@seamline/observability';
import { METRICS, READINESS } from '../order.tokens.ts';

export interface Readiness {
  /** `token`: the fencing token this replica leads with, null when it follows. */
  ready(): { ready: boolean; leader: boolean; replica: string; token: number | null };
}

/** /metrics for Prometheus and /health/ready for the supervisor and compose health checks. */
@Controller()
export class OpsController {
  constructor(
    @Inject(METRICS) private readonly metrics: SeamlineMetrics,
    @Inject(READINESS) private readonly readiness: Readiness,
  ) {}

  @Get('metrics')
  async metricsText(@Res() reply: FastifyReply): Promise<void> {
    await reply.type(this.metrics.contentType).send(await this.metrics.render());
  }

  @Get('health/ready')
  async ready(@Res() reply: FastifyReply): Promise<void> {
    const r = this.readiness.ready();
    await reply.status(r.ready ? 200 : 503).send(r);
  }
}
