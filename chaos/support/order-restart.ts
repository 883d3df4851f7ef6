/**
 * Restarts a run's order replicas with extra environment (e.g. SEAMLINE_RETRY_BUDGET=off), one
 * at a time, from the launch spec the supervisor recorded for each: same name, ports, marker
 * and readiness, so the rest of the run (and the chaos scripts) keep finding them.
 */
import type { ServiceSpec } from '../../infra/stack/index.ts';
import { readStatus, startService } from '../../infra/stack/index.ts';
import type { ChaosPipeline } from './chaos-pipeline.ts';
import { waitForOrderLeader } from './order-leader.ts';

export async function restartOrderReplicas(
  p: ChaosPipeline,
  env: Record<string, string>,
  log: (line: string) => void = () => {},
): Promise<void> {
  for (const replica of p.orders) {
    const record = readStatus(p.stackOptions).processes.find((r) => r.name === replica.name);
    if (record === undefined) throw new Error(`${replica.name} is not in the status file`);
    if (record.readiness.kind !== 'http') {
      throw new Error(`${replica.name}: expected http readiness, found ${record.readiness.kind}`);
    }
    const spec: ServiceSpec = {
      name: record.name,
      command: record.launch.command,
      args: record.launch.args,
      env: { ...record.launch.env, ...env },
      cwd: record.launch.cwd,
      ports: record.ports,
      readiness: record.readiness,
      match: record.match,
    };
    const restarted = await startService(spec, p.stackOptions);
    log(`${replica.name}: restarted with ${JSON.stringify(env)} (pid ${restarted.pid})`);
  }
  await waitForOrderLeader(p);
}
