/**
 * Hunts inventory-specific configuration bugs: defaults that differ from the documented ones
 * (port 3200, database seamline_inventory). The shared variables are tested in
 * @seamline/effect-service.
 */
import { expect, it } from 'vitest';
import { loadInventoryConfig } from './config.ts';

it("applies inventory's defaults and names a bad variable", () => {
  const base = { SEAMLINE_PG_URLS: 'postgres://u@h:5/x', SEAMLINE_NATS_URLS: 'nats://h:1' };
  const c = loadInventoryConfig(base);
  expect(c).toMatchObject({ httpPort: 3200, database: 'seamline_inventory' });
  expect(c.replicaId).toMatch(/^inventory-/);
  expect(() => loadInventoryConfig({ ...base, SEAMLINE_DB: 'Bad-Name' })).toThrow('SEAMLINE_DB');
});
