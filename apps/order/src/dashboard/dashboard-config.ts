/**
 * Where the order replica's `/dashboard` finds the other services' `/metrics`, read from the
 * environment once at start-up (main.ts). Defaults are the local topology's ports.
 */
import { z } from 'zod';
import type { MetricsSource } from './dashboard-feed.ts';

const url = z
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'an http(s) url')
  .transform((u) => u.replace(/\/+$/, ''));

const schema = z.object({
  SEAMLINE_PAYMENT_URL: url.default('http://127.0.0.1:3100'),
  SEAMLINE_INVENTORY_URL: url.default('http://127.0.0.1:3200'),
});

/** The dashboard's sources beside this replica (and the leader it knows). */
export interface DashboardConfig {
  /** SEAMLINE_PAYMENT_URL, SEAMLINE_INVENTORY_URL: base URLs whose `/metrics` are scraped. */
  readonly peers: () => readonly MetricsSource[];
}

/** Reads SEAMLINE_PAYMENT_URL and SEAMLINE_INVENTORY_URL; a bad value fails naming it. */
export function readDashboardConfig(env: NodeJS.ProcessEnv): DashboardConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const msgs = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid dashboard configuration: ${msgs.join('; ')}`);
  }
  const peers: readonly MetricsSource[] = [
    { name: 'payment', url: parsed.data.SEAMLINE_PAYMENT_URL },
    { name: 'inventory', url: parsed.data.SEAMLINE_INVENTORY_URL },
  ];
  return { peers: () => peers };
}
