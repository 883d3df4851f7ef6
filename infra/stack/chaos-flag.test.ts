/**
 * The stack's chaos switch as the status file and the status table carry it. Hunts: a status
 * file written before the switch existed that no longer parses, a chaos flag lost on the way
 * through the schema, and an operator who cannot see that faults may be injected.
 */
import { describe, expect, it } from 'vitest';
import { renderStatusTable } from './stack-view.ts';
import type { StackView } from './stack-view.ts';
import { parseStatus, serializeStatus } from './status-file.ts';
import type { StackStatus } from './status-file.ts';

const status: StackStatus = {
  version: 1,
  root: '/r',
  nats: 'cluster',
  ports: { postgres: [1], natsClient: [2], natsCluster: [3], natsMonitor: [4] },
  autoStarted: false,
  holders: [],
  processes: [],
  updatedAt: '2026-01-01T00:00:00.000Z',
};

describe('the chaos switch of a stack', () => {
  it('is off in a status file that never mentions it, and survives a round trip when on', () => {
    expect(parseStatus(serializeStatus(status)).chaos).toBeUndefined();
    expect(parseStatus(serializeStatus({ ...status, chaos: true })).chaos).toBe(true);
  });

  it('shows in the status headline only when enabled', () => {
    const view: StackView = {
      ...status,
      statusFile: '/r/stack/status.json',
      exists: true,
      up: true,
      holders: [],
      processes: [],
    };
    expect(renderStatusTable({ ...view, chaos: true })).toMatch(
      /^stack at \/r: UP, nats cluster, chaos enabled/,
    );
    expect(renderStatusTable({ ...view, chaos: false })).not.toMatch(/chaos/);
  });
});
