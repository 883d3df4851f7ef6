/**
 * Checks docker-compose.yml without a Docker daemon.
 *
 * Hunts: a service with no health check (dependants start against a dead
 * peer), a volume or build context pointing at a file that moved, ports that
 * drifted from the local supervisor's (the runbook and CLI would lie), a
 * service missing an environment variable the apps read, a Prometheus scrape
 * target that is not a compose service, Grafana mounts that do not match its
 * provisioning.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_PORT_BASE } from '../stack/options.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string[] | string;
  environment?: Record<string, string> | string[];
  ports?: string[];
  volumes?: (string | { type?: string; source?: string; target?: string })[];
  healthcheck?: { test?: string[] | string; disable?: boolean };
  depends_on?: Record<string, { condition?: string }> | string[];
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

// Compose honours YAML merge keys (`<<: *app`), so parse with them.
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), {
  merge: true,
}) as Compose;
const services = compose.services;

const APP_SERVICES: Record<string, { port: number; app: string }> = {
  'order-1': { port: 3000, app: 'order' },
  'order-2': { port: 3001, app: 'order' },
  payment: { port: 3100, app: 'payment' },
  inventory: { port: 3200, app: 'inventory' },
};
const APP_ENV = [
  'SEAMLINE_PG_URLS',
  'SEAMLINE_NATS_URLS',
  'SEAMLINE_HTTP_PORT',
  'SEAMLINE_OTLP_URL',
  'SEAMLINE_REPLICA_ID',
  'SEAMLINE_HTTP_HOST',
];
/** Order replicas also say how peers reach them and where the dashboard finds payment and inventory. */
const ORDER_ENV = ['SEAMLINE_ADVERTISE_URL', 'SEAMLINE_PAYMENT_URL', 'SEAMLINE_INVENTORY_URL'];
const pgPorts = [0, 1, 2].map((i) => DEFAULT_PORT_BASE.postgres + i);
const natsClientPorts = [0, 1, 2].map((i) => DEFAULT_PORT_BASE.natsClient + i);
const natsMonitorPorts = [0, 1, 2].map((i) => DEFAULT_PORT_BASE.natsMonitor + i);

function env(service: Service): Record<string, string> {
  const e = service.environment ?? {};
  if (!Array.isArray(e)) return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, `${v}`]));
  return Object.fromEntries(e.map((kv) => [kv.split('=')[0]!, kv.split('=').slice(1).join('=')]));
}

/** Published `host:container` pairs, as numbers. */
function ports(service: Service): [number, number][] {
  return (service.ports ?? []).map((p) => {
    const [host, container] = p.split(':').slice(-2).map(Number);
    return [host!, container!];
  });
}

function volumeSource(volume: string | { source?: string }): string {
  return typeof volume === 'string' ? volume.split(':')[0]! : (volume.source ?? '');
}

const isPath = (source: string) => source.startsWith('.') || source.startsWith('/');

describe('docker-compose.yml', () => {
  it('has the whole topology', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        ...['nats-1', 'nats-2', 'nats-3', 'pg-1', 'pg-2', 'pg-3'],
        ...Object.keys(APP_SERVICES),
        ...['prometheus', 'grafana', 'jaeger'],
      ].sort(),
    );
  });

  it('gives every service a health check', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.healthcheck?.disable, name).not.toBe(true);
      expect(service.healthcheck?.test?.length ?? 0, `${name} healthcheck`).toBeGreaterThan(0);
    }
  });

  it('references only files and directories that exist, and only declared named volumes', () => {
    const declared = new Set(Object.keys(compose.volumes ?? {}));
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const source = volumeSource(volume);
        if (isPath(source)) {
          expect(existsSync(path.resolve(root, source)), `${name}: ${source}`).toBe(true);
        } else {
          expect(declared.has(source), `${name}: named volume ${source}`).toBe(true);
        }
      }
      if (service.build !== undefined) {
        const build =
          typeof service.build === 'string' ? { context: service.build } : service.build;
        const context = path.resolve(root, build.context ?? '.');
        expect(existsSync(context), `${name}: build context`).toBe(true);
        const dockerfile = path.resolve(context, build.dockerfile ?? 'Dockerfile');
        expect(existsSync(dockerfile), `${name}: ${dockerfile}`).toBe(true);
      }
    }
  });

  it('publishes Postgres and NATS on the local supervisor ports', () => {
    [1, 2, 3].forEach((n, i) => {
      const pg = services[`pg-${n}`]!;
      expect(ports(pg), `pg-${n}`).toEqual([[pgPorts[i], pgPorts[i]]]);
      expect(JSON.stringify(pg.healthcheck?.test)).toContain(`${pgPorts[i]}`);

      const nats = services[`nats-${n}`]!;
      expect(ports(nats), `nats-${n}`).toEqual(
        expect.arrayContaining([
          [natsClientPorts[i], natsClientPorts[i]],
          [natsMonitorPorts[i], natsMonitorPorts[i]],
        ]),
      );
      expect(JSON.stringify(nats.healthcheck?.test)).toContain(`${natsMonitorPorts[i]}/healthz`);
    });
  });

  it('runs NATS as one JetStream cluster whose routes name every node', () => {
    for (const n of [1, 2, 3]) {
      const args = [services[`nats-${n}`]!.command ?? []].flat().join(' ');
      expect(args).toContain('--jetstream');
      expect(args).toContain('--cluster_name=seamline');
      for (const peer of [1, 2, 3]) expect(args).toMatch(new RegExp(`--routes=\\S*nats-${peer}:`));
    }
  });

  it('runs each app service from the shared Dockerfile on its port with every SEAMLINE_ variable', () => {
    for (const [name, { port, app }] of Object.entries(APP_SERVICES)) {
      const service = services[name]!;
      const vars = env(service);
      const expected = app === 'order' ? [...APP_ENV, ...ORDER_ENV] : APP_ENV;
      expect(Object.keys(vars).sort(), name).toEqual([...expected].sort());
      expect(vars['SEAMLINE_HTTP_HOST'], name).toBe('0.0.0.0');
      if (app === 'order')
        expect(vars['SEAMLINE_ADVERTISE_URL'], name).toBe(`http://${name}:${port}`);
      expect(vars['SEAMLINE_HTTP_PORT'], name).toBe(`${port}`);
      expect(ports(service), name).toEqual([[port, port]]);
      expect(service.command, name).toEqual(['node', '--import', 'tsx', `apps/${app}/main.ts`]);
      expect(JSON.stringify(service.healthcheck?.test), name).toContain('/health/ready');
      expect(vars['SEAMLINE_PG_URLS']!.split(','), name).toEqual(
        [1, 2, 3].map((n, i) => `postgres://postgres@pg-${n}:${pgPorts[i]}/postgres`),
      );
      expect(vars['SEAMLINE_NATS_URLS']!.split(','), name).toEqual(
        [1, 2, 3].map((n, i) => `nats://nats-${n}:${natsClientPorts[i]}`),
      );
      expect(vars['SEAMLINE_OTLP_URL'], name).toBe('http://jaeger:4318');
      const deps = service.depends_on as Record<string, { condition?: string }>;
      for (const dep of ['pg-1', 'pg-2', 'pg-3', 'nats-1', 'nats-2', 'nats-3']) {
        expect(deps[dep]?.condition, `${name} waits for ${dep}`).toBe('service_healthy');
      }
    }
    const replicaIds = Object.keys(APP_SERVICES).map(
      (name) => env(services[name]!)['SEAMLINE_REPLICA_ID'],
    );
    expect(new Set(replicaIds).size).toBe(replicaIds.length);
  });

  it('builds the app image on node:24 with npm ci', () => {
    const dockerfile = readFileSync(path.join(root, 'infra/compose/Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM node:24\b/m);
    expect(dockerfile).toMatch(/npm ci\b/);
  });

  it('lets Prometheus scrape exactly the app services, with the config it mounts', () => {
    const prometheus = services['prometheus']!;
    expect(ports(prometheus)).toEqual([[9090, 9090]]);
    const mount = (prometheus.volumes ?? []).find((v) => volumeSource(v) === './infra/prometheus');
    expect(mount, 'infra/prometheus mounted').toBeDefined();
    const target = typeof mount === 'string' ? mount.split(':')[1]! : mount!.target!;
    const configFlag = [prometheus.command ?? []]
      .flat()
      .find((a) => a.startsWith('--config.file='));
    const configFile = configFlag?.slice('--config.file='.length) ?? '';
    expect(configFile.startsWith(`${target}/`), configFile).toBe(true);
    const config = parse(
      readFileSync(path.join(root, 'infra/prometheus', path.basename(configFile)), 'utf8'),
    ) as { scrape_configs: { static_configs: { targets: string[] }[] }[] };
    const targets = config.scrape_configs.flatMap((s) =>
      s.static_configs.flatMap((c) => c.targets),
    );
    expect(targets.sort()).toEqual(
      Object.entries(APP_SERVICES)
        .map(([name, { port }]) => `${name}:${port}`)
        .sort(),
    );
  });

  it('mounts Grafana provisioning where Grafana reads it and the dashboards where it looks', () => {
    const grafana = services['grafana']!;
    expect(ports(grafana)).toEqual([[3030, 3000]]);
    const mounts = Object.fromEntries(
      (grafana.volumes ?? []).map((v) => {
        const [source, target] = typeof v === 'string' ? v.split(':') : [v.source, v.target];
        return [source!, target!];
      }),
    );
    expect(mounts['./grafana/provisioning']).toBe('/etc/grafana/provisioning');
    const provider = parse(
      readFileSync(path.join(root, 'grafana/provisioning/dashboards/seamline.yml'), 'utf8'),
    ) as { providers: { options: { path: string } }[] };
    expect(mounts['./grafana/dashboards']).toBe(provider.providers[0]!.options.path);
  });

  it('exposes Jaeger OTLP/HTTP and its UI', () => {
    expect(ports(services['jaeger']!)).toEqual([
      [4318, 4318],
      [16686, 16686],
    ]);
  });
});
