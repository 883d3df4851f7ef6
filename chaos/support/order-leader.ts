/**
 * Finding the order leader the way an operator would: the supervisor's status file says which
 * processes exist, their pids, live state and log files; each replica's `GET /health/ready`
 * says whether it leads and with which fencing token. A paused replica does not answer, so it
 * is reported unreachable rather than guessed about.
 */
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import type { LeaseRecord } from '@seamline/election';
import { decodeLeaseRecord } from '@seamline/election';
import type { LiveState } from '../../infra/stack/index.ts';
import { readStatus, waitFor } from '../../infra/stack/index.ts';
import type { ChaosPipeline } from './chaos-pipeline.ts';

export interface OrderReplicaView {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  readonly live: LiveState;
  readonly logPath: string;
  /** Whether /health/ready answered within the probe timeout. */
  readonly reachable: boolean;
  readonly leader: boolean;
  /** The fencing token it leads with; null when following or unreachable. */
  readonly token: number | null;
}

interface Ready {
  leader?: boolean;
  token?: number | null;
}

async function probe(url: string, timeoutMs: number): Promise<Ready | undefined> {
  try {
    const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok ? ((await res.json()) as Ready) : undefined;
  } catch {
    return undefined;
  }
}

/** Every order replica of the run, from the status file plus a readiness probe each. */
export async function orderReplicas(
  p: ChaosPipeline,
  probeTimeoutMs = 500,
): Promise<OrderReplicaView[]> {
  const status = readStatus(p.stackOptions);
  return Promise.all(
    p.orders.map(async (o) => {
      const record = status.processes.find((r) => r.name === o.name);
      if (record === undefined) throw new Error(`${o.name} is not in ${status.statusFile}`);
      const ready = record.live === 'running' ? await probe(o.url, probeTimeoutMs) : undefined;
      return {
        name: o.name,
        url: o.url,
        pid: record.pid,
        live: record.live,
        logPath: record.logPath,
        reachable: ready !== undefined,
        leader: ready?.leader === true,
        token: ready?.leader === true ? (ready.token ?? null) : null,
      };
    }),
  );
}

export interface LeaderQuery {
  /** Only a leader whose token is above this one (a successor). @default any */
  readonly aboveToken?: number;
  /** Never this replica. */
  readonly exclude?: string;
  /** @default 30_000 */
  readonly timeoutMs?: number;
  /** @default 25 */
  readonly intervalMs?: number;
}

/**
 * Waits until exactly one running replica reports leading (with a token above `aboveToken`)
 * and returns it. Two replicas claiming at once would be a bug the probe reports as a failure.
 */
export async function waitForOrderLeader(
  p: ChaosPipeline,
  query: LeaderQuery = {},
): Promise<OrderReplicaView> {
  return waitFor(
    async () => {
      const views = await orderReplicas(p);
      const leaders = views.filter(
        (v) =>
          v.leader &&
          v.name !== query.exclude &&
          v.token !== null &&
          v.token > (query.aboveToken ?? 0),
      );
      if (leaders.length > 1) {
        throw new Error(`two replicas claim to lead: ${leaders.map((l) => l.name).join(', ')}`);
      }
      return leaders[0];
    },
    {
      what: `an order leader${query.aboveToken === undefined ? '' : ` with a token above ${query.aboveToken}`}`,
      timeoutMs: query.timeoutMs ?? 30_000,
      intervalMs: query.intervalMs ?? 25,
    },
  );
}

/** The lease the order leader holds, as recorded in the run's election bucket. */
export async function readOrderLease(p: ChaosPipeline): Promise<LeaseRecord> {
  const nc = await connect({ servers: p.stack.nats });
  try {
    const kv = await new Kvm(nc).open(`${p.busPrefix}-election`);
    const entry = await kv.get('order-leader');
    if (entry === null || entry.operation !== 'PUT') throw new Error('no order-leader lease');
    return decodeLeaseRecord(entry.value);
  } finally {
    await nc.close();
  }
}
