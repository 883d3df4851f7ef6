/**
 * The infrastructure of one stack as launch plans: pg-1..pg-3 and nats-1..nats-3 (or one
 * node), derived from the ports and mode recorded in the status file, so a restart of a single
 * member rebuilds exactly what `up` built.
 */
import type { Binaries } from './binaries.ts';
import { ensureBinaries } from './binaries.ts';
import type { LaunchPlan } from './launch-plan.ts';
import { natsNodeConfigs, natsPlan, natsUrl } from './nats-cluster.ts';
import type { NatsMode, PortPlan } from './options.ts';
import { stackPaths } from './options.ts';
import { postgresPlan, postgresRunAs, postgresUrl } from './postgres-instance.ts';
import type { Session } from './session.ts';

/** What integration tests receive through `inject('stack')`. */
export interface StackEndpoints {
  postgres: { name: string; url: string; port: number }[];
  /** NATS server urls, one per node. */
  nats: string[];
  root: string;
}

export function postgresNames(ports: PortPlan): string[] {
  return ports.postgres.map((_, i) => `pg-${i + 1}`);
}

export function natsNames(mode: NatsMode, ports: PortPlan): string[] {
  return mode === 'single' ? ['nats-1'] : ports.natsClient.map((_, i) => `nats-${i + 1}`);
}

/** Names of every infrastructure process in this mode, postgres first. */
export function infraNames(mode: NatsMode, ports: PortPlan): string[] {
  return [...postgresNames(ports), ...natsNames(mode, ports)];
}

export function endpointsFor(root: string, mode: NatsMode, ports: PortPlan): StackEndpoints {
  return {
    postgres: ports.postgres.map((port, i) => ({
      name: `pg-${i + 1}`,
      url: postgresUrl(port),
      port,
    })),
    nats: natsNames(mode, ports).map((_, i) => natsUrl(ports.natsClient[i] as number)),
    root,
  };
}

/** Plans for every infrastructure process of the session's stack. */
export function infraPlans(session: Session, binaries: Binaries): LaunchPlan[] {
  const { status } = session;
  const paths = stackPaths(status.root);
  const runAs = postgresRunAs();
  const postgres = postgresNames(status.ports).map((name, i) =>
    postgresPlan({
      name,
      port: status.ports.postgres[i] as number,
      instanceDir: paths.postgresDir(i + 1),
      logPath: paths.logFile(name),
      binaries: binaries.postgres,
      runAs,
    }),
  );
  const nats = natsNodeConfigs(status.nats, status.ports, (index) =>
    paths.natsDir(index, status.nats),
  ).map((node) => natsPlan(node, binaries.natsServer, paths.logFile(node.serverName)));
  return [...postgres, ...nats];
}

/** The plan for one infrastructure process, or undefined when `name` is not one. */
export async function infraPlanFor(
  session: Session,
  name: string,
): Promise<LaunchPlan | undefined> {
  if (!infraNames(session.status.nats, session.status.ports).includes(name)) return undefined;
  const binaries = await ensureBinaries(session.opts.install, session.opts.log);
  return infraPlans(session, binaries).find((plan) => plan.name === name);
}
