/**
 * The inventory service: a fenced single-writer effect service (@seamline/effect-service) over
 * the `inventory` domain, taking reserve and release commands. Used by main.ts and, in-process,
 * by the integration tests.
 */
import { releaseCommand, reserveCommand } from '@seamline/contracts';
import type { EffectService, EffectServiceOptions } from '@seamline/effect-service';
import { startEffectService } from '@seamline/effect-service';
import type { InventoryConfig } from '../config.ts';
import { InventoryCommandsController } from './inventory-commands.controller.ts';
import { InventoryEffects } from './inventory-effects.ts';
import { INVENTORY_DOMAIN } from './inventory-records.ts';
import { inventorySeed } from './inventory-seed.ts';

export type InventoryApp = EffectService;
export type InventoryAppOptions = EffectServiceOptions;

/** Builds and starts one inventory process: quorum store, writer lease, bus handlers, HTTP side. */
export function createInventoryApp(
  config: InventoryConfig,
  options: InventoryAppOptions = {},
): Promise<InventoryApp> {
  return startEffectService(
    config,
    {
      service: 'inventory',
      domain: INVENTORY_DOMAIN,
      ledger: 'inventory',
      commands: { 'inventory.reserve': reserveCommand, 'inventory.release': releaseCommand },
      handlers: [InventoryCommandsController],
      effects: (idempotent) => new InventoryEffects(idempotent),
      seed: inventorySeed,
    },
    options,
  );
}
