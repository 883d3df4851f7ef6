/**
 * The payment service process: `node --import tsx apps/payment/main.ts`. Configuration comes
 * from the environment (see config.ts); exit statuses, signals and starting tracing before the
 * app loads are the effect-service process runner's.
 */
import { runServiceProcess } from '@seamline/effect-service/process';
import { loadPaymentConfig } from './config.ts';

await runServiceProcess({
  service: 'payment',
  loadConfig: () => loadPaymentConfig(process.env),
  start: async (config, onFatal) => {
    const { createPaymentApp } = await import('./src/payment-app.ts');
    return createPaymentApp(config, { onFatal });
  },
});
