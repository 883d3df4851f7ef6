import { readFileSync } from 'node:fs';
import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { DashboardFeed } from './dashboard-feed.ts';
import { DASHBOARD_FEED } from './dashboard.tokens.ts';

// One self-contained file (inline CSS, JS and SVG): it works without network access and
// without Grafana. Read once at start-up.
const PAGE = readFileSync(new URL('./dashboard.html', import.meta.url), 'utf8');

/** GET /dashboard: the live seam dashboard; GET /dashboard/data: what it draws, as JSON. */
@Controller('dashboard')
export class DashboardController {
  constructor(@Inject(DASHBOARD_FEED) private readonly feed: DashboardFeed) {}

  @Get()
  @Header('cache-control', 'no-store')
  async page(@Res() reply: FastifyReply): Promise<void> {
    await reply.type('text/html; charset=utf-8').send(PAGE);
  }

  @Get('data')
  @Header('cache-control', 'no-store')
  async data(@Res() reply: FastifyReply): Promise<void> {
    await reply.send(await this.feed.view());
  }
}
