/**
 * The inventory service's configuration, read from the environment ONCE at start-up and
 * validated: the variables every effect service shares (@seamline/effect-service/process) with
 * inventory's defaults. A bad value fails naming the variable. Nothing else reads `process.env`.
 */
import type { EffectServiceConfig } from '@seamline/effect-service/process';
import { loadEffectServiceConfig } from '@seamline/effect-service/process';

export type InventoryConfig = EffectServiceConfig;

/** Reads and validates the environment; throws an Error naming the first bad variable. */
export function loadInventoryConfig(env: NodeJS.ProcessEnv = process.env): InventoryConfig {
  return loadEffectServiceConfig(env, { service: 'inventory', httpPort: 3200 });
}
