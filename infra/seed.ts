/**
 * `npm run seed -- [--customers N] [--balance CENTS] [--skus N] [--stock UNITS]`: loads accounts
 * and stock into the running payment and inventory services (`npm start` first). Existing
 * accounts and skus are left as they are, so seeding twice is harmless.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_SEED, seedServices } from './demo/seed-client.ts';
import { stackOptionsFromEnv } from './stack/env-options.ts';

// Services of a stack started with SEAMLINE_STACK_OFFSET listen on shifted ports too.
const offset = stackOptionsFromEnv().offset ?? 0;

const USAGE = `usage: npm run seed -- [options]
  --customers N      accounts cust-1..cust-N (default ${DEFAULT_SEED.customers})
  --balance CENTS    opening balance of each (default ${DEFAULT_SEED.balanceCents})
  --skus N           skus sku-1..sku-N (default ${DEFAULT_SEED.skus})
  --stock UNITS      units of each sku (default ${DEFAULT_SEED.stock})
  --no-broke         do not create cust-broke (balance 0, every charge declines)
  --no-rare          do not create sku-rare (1 unit)
  --payment-url URL    default http://127.0.0.1:3100 (+ SEAMLINE_STACK_OFFSET)
  --inventory-url URL  default http://127.0.0.1:3200 (+ SEAMLINE_STACK_OFFSET)`;

function fail(message: string): never {
  process.stderr.write(`seed: ${message}\n`);
  process.exit(2);
}

function count(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) fail(`--${flag} must be a whole number >= 0, got ${raw}`);
  return n;
}

let parsed;
try {
  parsed = parseArgs({
    args: process.argv.slice(2),
    options: {
      customers: { type: 'string' },
      balance: { type: 'string' },
      skus: { type: 'string' },
      stock: { type: 'string' },
      'no-broke': { type: 'boolean', default: false },
      'no-rare': { type: 'boolean', default: false },
      'payment-url': { type: 'string', default: `http://127.0.0.1:${3100 + offset}` },
      'inventory-url': { type: 'string', default: `http://127.0.0.1:${3200 + offset}` },
      help: { type: 'boolean', short: 'h' },
    },
  });
} catch (error) {
  fail(`${(error as Error).message}\n${USAGE}`);
}
const { values } = parsed;
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const sizes = {
  customers: count('customers', values.customers, DEFAULT_SEED.customers),
  balanceCents: count('balance', values.balance, DEFAULT_SEED.balanceCents),
  skus: count('skus', values.skus, DEFAULT_SEED.skus),
  stock: count('stock', values.stock, DEFAULT_SEED.stock),
  brokeCustomer: !values['no-broke'],
  rareSku: !values['no-rare'],
};
try {
  const result = await seedServices(
    {
      payment: values['payment-url'],
      inventory: values['inventory-url'],
    },
    sizes,
  );
  process.stdout.write(
    `seeded accounts: ${result.payment.created} created, ${result.payment.existing} already there\n` +
      `seeded skus:     ${result.inventory.created} created, ${result.inventory.existing} already there\n`,
  );
} catch (error) {
  fail(`${(error as Error).message}\n(is the stack running? npm start)`);
}
