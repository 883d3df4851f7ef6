/**
 * Seamline's saga written the way a Restate user would write it, for `npm run bench:peer`:
 *
 *   Order.run (workflow, key = order id)
 *     reserve ── Inventory[sku].reserve      (declined: CANCELLED / OUT_OF_STOCK, nothing to undo)
 *     charge  ── Payment[customer].charge    (declined: release the reservation, CANCELLED /
 *                                             PAYMENT_DECLINED)
 *     complete   status COMPLETED
 *
 * Plain JavaScript on purpose: the SDK is installed on first use into this folder only, so the
 * project's type check must not depend on it. Balances and stock start at the values Seamline's
 * seed gives (1,000,000 each; `cust-broke` has nothing) the first time a key is touched, which
 * is what `POST /admin/seed` does on the Seamline side. Restate's journal already makes each call
 * exactly-once, so no idempotency records are kept here.
 *
 *   node services.mjs --port 9080
 */
import http2 from 'node:http2';
import { parseArgs } from 'node:util';
import * as restate from '@restatedev/restate-sdk';

const OPENING_BALANCE_CENTS = 1_000_000;
const OPENING_STOCK = 1_000_000;

const inventory = restate.object({
  name: 'Inventory',
  handlers: {
    reserve: async (ctx, { qty }) => {
      const stock = (await ctx.get('stock')) ?? OPENING_STOCK;
      if (stock < qty) throw new restate.TerminalError('OUT_OF_STOCK');
      ctx.set('stock', stock - qty);
    },
    release: async (ctx, { qty }) => {
      const stock = (await ctx.get('stock')) ?? OPENING_STOCK;
      ctx.set('stock', stock + qty);
    },
  },
});

const payment = restate.object({
  name: 'Payment',
  handlers: {
    charge: async (ctx, { amountCents }) => {
      const opening = ctx.key === 'cust-broke' ? 0 : OPENING_BALANCE_CENTS;
      const balance = (await ctx.get('balance')) ?? opening;
      if (balance < amountCents) throw new restate.TerminalError('PAYMENT_DECLINED');
      ctx.set('balance', balance - amountCents);
    },
  },
});

const order = restate.workflow({
  name: 'Order',
  handlers: {
    run: async (ctx, { customerId, sku, qty, amountCents }) => {
      ctx.set('status', 'PENDING');
      try {
        await ctx.objectClient(inventory, sku).reserve({ qty });
      } catch (error) {
        if (!(error instanceof restate.TerminalError)) throw error;
        ctx.set('status', 'CANCELLED');
        return { status: 'CANCELLED', reason: 'OUT_OF_STOCK' };
      }
      try {
        await ctx.objectClient(payment, customerId).charge({ amountCents });
      } catch (error) {
        if (!(error instanceof restate.TerminalError)) throw error;
        // The compensation is itself a journaled call: Restate retries it until it succeeds.
        ctx.set('status', 'COMPENSATING');
        await ctx.objectClient(inventory, sku).release({ qty });
        ctx.set('status', 'CANCELLED');
        return { status: 'CANCELLED', reason: 'PAYMENT_DECLINED' };
      }
      ctx.set('status', 'COMPLETED');
      return { status: 'COMPLETED' };
    },
  },
});

const { values } = parseArgs({ options: { port: { type: 'string', default: '9080' } } });
// HTTP/2 (the SDK's bidirectional mode, as `restate.serve` uses), on loopback only.
const server = http2.createServer(
  restate.createEndpointHandler({ services: [inventory, payment, order] }),
);
server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`restate services listening on 127.0.0.1:${values.port}\n`);
});
