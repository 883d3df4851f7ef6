/**
 * What the order database holds, read replica by replica underneath the quorum store (the
 * auditor's reader), for the checks a fencing scenario needs: the fence each replica has
 * installed, and the highest version of every order record, so that "nothing the new leader
 * wrote was overwritten" and "no write of the old token landed after the fence" are facts about
 * the replicas, not about what a service says.
 */
import type { StoredRecord } from '@seamline/audit';
import { mergeReplicas, readDatabase } from '@seamline/audit';
import pg from 'pg';
import type { ChaosPipeline } from './chaos-pipeline.ts';

export type OrderTruth = ReadonlyMap<string, StoredRecord>;

/** The highest version of every order-domain record across the reachable replicas. */
export async function readOrderTruth(p: ChaosPipeline, timeoutMs = 10_000): Promise<OrderTruth> {
  const snapshot = await readDatabase(p.stack.postgres, p.databases.order, timeoutMs);
  const { truth } = mergeReplicas(snapshot.replicas);
  return new Map(truth.filter((r) => r.domain === 'order').map((r) => [r.key, r]));
}

/** The order domain's installed fence on each replica (0 when none or unreachable). */
export async function installedFences(p: ChaosPipeline): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  await Promise.all(
    p.stack.postgres.map(async (replica) => {
      const url = new URL(replica.url);
      url.pathname = `/${p.databases.order}`;
      const c = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 3_000 });
      c.on('error', () => {});
      try {
        await c.connect();
        const r = await c.query<{ token: string }>(
          `select token::text as token from seamline_fences where domain = 'order'`,
        );
        out[replica.name] = Number(r.rows[0]?.token ?? 0);
      } catch {
        out[replica.name] = 0;
      } finally {
        await c.end().catch(() => {});
      }
    }),
  );
  return out;
}

export interface FenceBreach {
  readonly key: string;
  readonly before: string;
  readonly after: string;
}

const fmt = (r: StoredRecord | undefined) =>
  r === undefined ? 'absent' : `(${r.version.fence}, ${r.version.seq}) ${r.tag ?? ''}`.trim();

/**
 * Records that changed after `before` was taken under a token older than `fence`: each is a
 * write of a fenced-off leader that landed. With fencing on there are none.
 */
export function staleWritesLanded(before: OrderTruth, after: OrderTruth, fence: number) {
  const out: FenceBreach[] = [];
  for (const [key, rec] of after) {
    if (rec.version.fence >= fence) continue;
    const old = before.get(key);
    if (
      old === undefined ||
      old.version.seq !== rec.version.seq ||
      old.version.fence !== rec.version.fence
    )
      out.push({ key, before: fmt(old), after: fmt(rec) });
  }
  return out;
}

/**
 * Records the new leader (token >= `fence`) had written in `before` that `after` holds at an
 * older version or not at all: the new leader's state was overwritten or lost.
 */
export function newLeaderStateLost(before: OrderTruth, after: OrderTruth, fence: number) {
  const out: FenceBreach[] = [];
  for (const [key, rec] of before) {
    if (rec.version.fence < fence) continue;
    const now = after.get(key);
    const older =
      now === undefined ||
      now.version.fence < rec.version.fence ||
      (now.version.fence === rec.version.fence && now.version.seq < rec.version.seq);
    if (older) out.push({ key, before: fmt(rec), after: fmt(now) });
  }
  return out;
}

/** Order records whose highest version carries `token`. */
export function writtenWith(truth: OrderTruth, token: number): number {
  let n = 0;
  for (const r of truth.values()) if (r.version.fence === token) n += 1;
  return n;
}
