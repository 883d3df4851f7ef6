/**
 * Hunts a pipeline that needs all three NATS nodes: an election that cannot run, a lease that
 * cannot be renewed, commands or replies that stall, when the node leading the election
 * bucket's stream is killed. The order leader is killed during the outage too, so a new leader
 * must be elected on two nodes. Seed: SEAMLINE_CHAOS_SEED=<n>.
 */
import { describe, expect, inject, it } from 'vitest';
import { stackOptionsFromEnv } from '../infra/stack/env-options.ts';
import { natsNodeDown } from './scenarios/nats-node-down.ts';
import { parseSeed } from './support/seeded-random.ts';

const seed = parseSeed(process.env.SEAMLINE_CHAOS_SEED);
const log = (line: string) => process.stderr.write(`[nats-node-down seed ${seed}] ${line}\n`);
log(`seed ${seed} (replay with SEAMLINE_CHAOS_SEED=${seed})`);

describe('a NATS node killed', () => {
  it.skipIf(inject('stack').nats.length < 3)(
    'elects a new order leader and keeps finishing orders on the remaining two nodes',
    async () => {
      const r = await natsNodeDown({
        stack: inject('stack'),
        stackOptions: stackOptionsFromEnv(),
        seed,
        log,
      });
      expect(r.node).toMatch(/^nats-\d$/);
      expect(r.failover.successor).not.toBe(r.failover.killed);
      expect(r.acceptedDuringOutage).toBeGreaterThanOrEqual(15);
      // Finishing continues on two nodes; every accepted order finishing is the settlement below.
      expect(r.finishedDuringOutage).toBeGreaterThanOrEqual(15);
      expect(r.settlement.unfinished).toEqual([]);
      expect(r.audit.violations).toEqual([]);
      expect(r.failures).toEqual([]);
    },
    300_000,
  );
});
