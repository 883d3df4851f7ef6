import { Controller, Get, Header, Inject, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { ArrivalsView } from './effect-arrivals.ts';
import type { EffectServiceRuntime } from './effect-runtime.ts';
import { EFFECT_SERVICE_RUNTIME } from './effect-service.tokens.ts';
import { ProblemError, sendProblem } from './problem-details.ts';

/** Operations endpoints: Prometheus scrape, readiness, liveness and attempts per effect key. */
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

  /**
   * How often one effect key (`<saga>:<step>:<action>`) reached this service's handlers, by
   * cause, while it is remembered: 404 once it has been idle past the attempts ttl (its total
   * is then a sample of `seamline_effect_attempts{layer="downstream"}`) or was never seen.
   */
  @Get('ops/attempts/:key')
  @Header('cache-control', 'no-store')
  attempts(@Param('key') key: string): ArrivalsView {
    const view = this.rt.arrivals.view(key);
    if (view === undefined) {
      throw new ProblemError(
        404,
        'Unknown effect key',
        `no arrivals of ${key} remembered here: never seen by this replica, or forgotten after ${this.rt.arrivals.ttlMs} ms idle`,
      );
    }
    return view;
  }

  @Get('health/live')
  @Header('cache-control', 'no-store')
  live(): { status: 'live' } {
    return { status: 'live' };
  }
}
