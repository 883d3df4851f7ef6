import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { EffectServiceRuntime } from './effect-runtime.ts';
import { EFFECT_SERVICE_RUNTIME } from './effect-service.tokens.ts';
import { ProblemError, sendProblem } from './problem-details.ts';

/** Operations endpoints: Prometheus scrape, readiness and liveness. */
@Controller()
export class OpsController {
  constructor(@Inject(EFFECT_SERVICE_RUNTIME) private readonly rt: EffectServiceRuntime<unknown>) {}

  @Get('metrics')
  async metrics(@Res() reply: FastifyReply): Promise<void> {
    await reply.type(this.rt.metrics.contentType).send(await this.rt.metrics.render());
  }

  /** 200 once this process is the writer and consumes commands; 503 while standby or starting. */
  @Get('health/ready')
  ready(@Res() reply: FastifyReply): void {
    if (this.rt.isReady()) {
      void reply.send({ status: 'ready', role: 'writer', token: this.rt.writer.token });
      return;
    }
    sendProblem(
      reply,
      '/health/ready',
      new ProblemError(
        503,
        'Not ready',
        `not the ${this.rt.service} writer (standby or starting)`,
        {
          role: 'standby',
        },
      ),
    );
  }

  @Get('health/live')
  @Header('cache-control', 'no-store')
  live(): { status: 'live' } {
    return { status: 'live' };
  }
}
