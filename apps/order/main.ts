/** Entry point of one order replica: `node --import tsx apps/order/main.ts` (config from SEAMLINE_* env). */
import { runServiceProcess } from '@seamline/effect-service/process';
import type { OrderConfig } from './src/config.ts';
import { readOrderConfig } from './src/config.ts';
import { readDashboardConfig } from './src/dashboard/dashboard-config.ts';

// The process life (bad config: status 2; a start-up that fails on a passing NATS condition is
// tried again for a minute; SIGTERM/SIGINT close in order) is the effect services' runner.
await runServiceProcess<OrderConfig>({
  service: 'order',
  loadConfig: () => readOrderConfig(process.env),
  start: async (config) => {
    await import('reflect-metadata');
    const { createOrderApp } = await import('./src/create-order-app.ts');
    const app = await createOrderApp(config, { dashboard: readDashboardConfig(process.env) });
    // Test switch only (SEAMLINE_CHAOS_STALL): without it SIGUSR2 keeps its default action.
    const stall = app.writeStall;
    if (stall !== undefined) process.on('SIGUSR2', () => stall.arm());
    return {
      close: () => {
        app.log.info('shutting down');
        return app.close();
      },
    };
  },
});
