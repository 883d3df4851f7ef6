/** Hunts: a bad peer URL accepted (the board would show a source forever down), a failure that does not name the variable, a trailing slash doubling into `//metrics`. */
import { describe, expect, it } from 'vitest';
import { readDashboardConfig } from './dashboard-config.ts';

describe('readDashboardConfig', () => {
  it('defaults to the local ports of payment and inventory', () => {
    expect(readDashboardConfig({}).peers()).toEqual([
      { name: 'payment', url: 'http://127.0.0.1:3100' },
      { name: 'inventory', url: 'http://127.0.0.1:3200' },
    ]);
  });

  it('takes the compose names and drops a trailing slash', () => {
    const peers = readDashboardConfig({
      SEAMLINE_PAYMENT_URL: 'http://payment:3100/',
      SEAMLINE_INVENTORY_URL: 'http://inventory:3200',
    }).peers();
    expect(peers.map((p) => p.url)).toEqual(['http://payment:3100', 'http://inventory:3200']);
  });

  it('names the variable when a value is not an http url', () => {
    expect(() => readDashboardConfig({ SEAMLINE_INVENTORY_URL: 'nats://x:4222' })).toThrow(
      /SEAMLINE_INVENTORY_URL/,
    );
  });
});
