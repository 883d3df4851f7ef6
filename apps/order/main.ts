/** Entry point of one order replica: `node --import tsx apps/order/main.ts` (config from SEAMLINE_* env). */
import { startTracing } from '@seamline/observability';
import type { OrderConfig } from './src/config.ts';
import { readOrderConfig } from './src/config.ts';
import { readDashboardConfig } from './src/dashboard/dashboard-config.ts';

let config: OrderConfig;
try {
  config = readOrderConfig(process.env);
} catch (err) {
  process.stderr.write(
    `${JSON.stringify({ level: 'fatal', service: 'order', msg: (err as Error).message })}\n`,
  );
  process.exit(2);
}

// Before the modules that load pg and fastify, so they are instrumented (off without a URL).
const tracing = startTracing({
  serviceName: 'order',
  instanceId: config.replicaId,
  ...(config.otlpUrl === undefined ? {} : { otlpUrl: config.otlpUrl }),
});
await import('reflect-metadata');
const { createOrderApp } = await import('./src/create-order-app.ts');

const app = await createOrderApp(config, { dashboard: readDashboardConfig(process.env) });
const stop = (signal: string) => {
  app.log.info({ signal }, 'shutting down');
  app
    .close()
    .then(() => tracing.shutdown())
    .then(
      () => process.exit(0),
      () => process.exit(1),
    );
};
process.once('SIGTERM', () => stop('SIGTERM'));
// Test switch only (SEAMLINE_CHAOS_STALL): without it SIGUSR2 keeps its default action.
const stall = app.writeStall;
if (stall !== undefined) process.on('SIGUSR2', () => stall.arm());
process.once('SIGINT', () => stop('SIGINT'));
