/**
 * The NATS JetStream nodes: a 3-node cluster named `seamline` (routes to all three, so any two
 * form a quorum for R3 streams and the KV bucket) or a single node for fast runs. Each node gets
 * a config file rendered before every start, its own store dir and its own monitor port.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LaunchPlan } from './launch-plan.ts';
import type { NatsMode, PortPlan } from './options.ts';

export const NATS_CLUSTER_NAME = 'seamline';

export interface NatsNodeConfig {
  /** `nats-1`, ... */
  serverName: string;
  clientPort: number;
  monitorPort: number;
  /** Absent in single mode. */
  cluster?: { port: number; routePorts: number[] };
  storeDir: string;
  /** JetStream limits; small, this is a test topology. */
  maxMemoryStore?: number;
  maxFileStore?: number;
}

const quote = (value: string) => JSON.stringify(value);

/** nats-server config syntax (a superset of JSON); strings quoted so paths may hold anything. */
export function renderNatsConfig(config: NatsNodeConfig): string {
  const lines = [
    '# Written by infra/stack before every start; edits are overwritten.',
    `server_name: ${quote(config.serverName)}`,
    `listen: ${quote(`127.0.0.1:${config.clientPort}`)}`,
    `http: ${quote(`127.0.0.1:${config.monitorPort}`)}`,
    'logtime: true',
    'jetstream {',
    `  store_dir: ${quote(config.storeDir)}`,
    `  max_memory_store: ${config.maxMemoryStore ?? 256 * 1024 * 1024}`,
    `  max_file_store: ${config.maxFileStore ?? 4 * 1024 * 1024 * 1024}`,
    '}',
  ];
  if (config.cluster) {
    lines.push(
      'cluster {',
      `  name: ${quote(NATS_CLUSTER_NAME)}`,
      `  listen: ${quote(`127.0.0.1:${config.cluster.port}`)}`,
      '  routes: [',
      ...config.cluster.routePorts.map((port) => `    ${quote(`nats-route://127.0.0.1:${port}`)}`),
      '  ]',
      '}',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Node configs for the mode; index 0 is nats-1. */
export function natsNodeConfigs(
  mode: NatsMode,
  ports: PortPlan,
  storeDir: (index: number) => string,
): NatsNodeConfig[] {
  const count = mode === 'single' ? 1 : ports.natsClient.length;
  return Array.from({ length: count }, (_, i) => ({
    serverName: `nats-${i + 1}`,
    clientPort: ports.natsClient[i] as number,
    monitorPort: ports.natsMonitor[i] as number,
    storeDir: storeDir(i + 1),
    ...(mode === 'cluster'
      ? { cluster: { port: ports.natsCluster[i] as number, routePorts: ports.natsCluster } }
      : {}),
  }));
}

export function natsUrl(port: number): string {
  return `nats://127.0.0.1:${port}`;
}

export function natsPlan(node: NatsNodeConfig, natsServer: string, logPath: string): LaunchPlan {
  const configPath = path.join(node.storeDir, `${node.serverName}.conf`);
  return {
    name: node.serverName,
    kind: 'nats',
    launch: { command: natsServer, args: ['-c', configPath], env: {}, cwd: node.storeDir },
    ports: {
      client: node.clientPort,
      monitor: node.monitorPort,
      ...(node.cluster ? { cluster: node.cluster.port } : {}),
    },
    logPath,
    dataDir: node.storeDir,
    match: [configPath],
    readiness: {
      kind: 'nats',
      monitorUrl: `http://127.0.0.1:${node.monitorPort}`,
      serverName: node.serverName,
      cluster: node.cluster !== undefined,
    },
    prepare: async () => {
      fs.mkdirSync(node.storeDir, { recursive: true });
      fs.writeFileSync(configPath, renderNatsConfig(node));
    },
  };
}
