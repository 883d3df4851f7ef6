/**
 * The closed loop both systems are driven with: N clients, each places an order, waits for its
 * terminal state, then places the next, until the level's time is up (the order in flight then
 * still finishes and counts). Throughput is what the system sustains at that concurrency, and
 * latency is what a client waited, POST to terminal state.
 *
 * The order mix is the same for both systems: one line per order, about 10 % from `cust-broke`,
 * whose charge is declined and whose reservation is released (compensated).
 */
import { performance } from 'node:perf_hooks';
import { seededRandom } from '@seamline/retry-budget';

export interface PeerOrder {
  customerId: string;
  sku: string;
  qty: number;
  unitPriceCents: number;
}

/** Terminal state as `COMPLETED` or `CANCELLED/<reason>`. */
export type Outcome = string;

/** Places one order and resolves with its terminal state. `key` is unique in the run. */
export type PlaceOrder = (key: string, order: PeerOrder) => Promise<Outcome>;

export const BROKE_SHARE = 0.1;

/** The next order of one client's mix (customers and skus as the Seamline seed creates them). */
export function nextOrder(random: () => number): PeerOrder {
  const broke = random() < BROKE_SHARE;
  const customer = 1 + Math.floor(random() * 1000);
  return {
    customerId: broke ? 'cust-broke' : `cust-${customer}`,
    sku: `sku-${1 + Math.floor(random() * 1000)}`,
    qty: 1 + Math.floor(random() * 3),
    unitPriceCents: 100 + Math.floor(random() * 900),
  };
}

export interface LoopRun {
  clients: number;
  /** Wall time from the first order to the last client's last terminal state. */
  seconds: number;
  /** Per finished saga, POST to terminal, in ms (unsorted). */
  latenciesMs: number[];
  outcomes: Record<Outcome, number>;
  /** Orders whose terminal state the client never learned. */
  errors: number;
  firstErrors: string[];
}

export interface LoopOptions {
  clients: number;
  seconds: number;
  seed: number;
  /** Prefix of every order key; must differ between levels and runs. */
  keyPrefix: string;
  place: PlaceOrder;
}

export async function closedLoop(options: LoopOptions): Promise<LoopRun> {
  const run: LoopRun = {
    clients: options.clients,
    seconds: 0,
    latenciesMs: [],
    outcomes: {},
    errors: 0,
    firstErrors: [],
  };
  const start = performance.now();
  const deadline = start + options.seconds * 1000;
  const client = async (index: number) => {
    const random = seededRandom(options.seed * 1009 + index);
    for (let i = 0; performance.now() < deadline; i++) {
      const order = nextOrder(random);
      const asked = performance.now();
      try {
        const outcome = await options.place(`${options.keyPrefix}-${index}-${i}`, order);
        run.latenciesMs.push(performance.now() - asked);
        run.outcomes[outcome] = (run.outcomes[outcome] ?? 0) + 1;
      } catch (error) {
        run.errors += 1;
        if (run.firstErrors.length < 5) run.firstErrors.push(String(error));
        // A system that fails fast must not turn the loop into a busy spin.
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };
  await Promise.all(Array.from({ length: options.clients }, (_, i) => client(i)));
  run.seconds = (performance.now() - start) / 1000;
  return run;
}
