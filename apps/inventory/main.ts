/**
 * The inventory service process: `node --import tsx apps/inventory/main.ts`. Configuration
 * comes from the environment (see config.ts); exit statuses, signals and starting tracing
 * before the app loads are the effect-service process runner's.
 */
import { runServiceProcess } from '@seamline/effect-service/process';
import { loadInventoryConfig } from './config.ts';

await runServiceProcess({
  service: 'inventory',
  loadConfig: () => loadInventoryConfig(process.env),
  start: async (config, onFatal) => {
    const { createInventoryApp } = await import('./src/inventory-app.ts');
    return createInventoryApp(config, { onFatal });
  },
});
