/**
 * Hunts: config rendering that would start a server on the wrong interface or port, without
 * fsync, with broken quoting, a NATS cluster missing a route or a single node that still tries
 * to cluster; port plans that overlap or ignore the offset; version sorting that picks an old
 * PostgreSQL.
 */
import { describe, expect, it } from 'vitest';
import { parsePostgresVersion, sortVersionDirs } from './binaries.ts';
import { natsNodeConfigs, renderNatsConfig } from './nats-cluster.ts';
import { resolveOptions } from './options.ts';
import {
  parsePasswd,
  postgresSettings,
  postgresUrl,
  renderPostgresConf,
} from './postgres-instance.ts';

describe('postgres config', () => {
  const settings = postgresSettings({ name: 'pg-2', port: 54332, socketDir: '/r/pg-2' });

  it('listens on loopback only, on its own port, with durability on', () => {
    const conf = renderPostgresConf(settings);
    expect(conf).toContain(`listen_addresses = '127.0.0.1'`);
    expect(conf).toMatch(/^port = 54332$/m);
    expect(conf).toMatch(/^fsync = 'on'$/m);
    expect(conf).toMatch(/^synchronous_commit = 'on'$/m);
    expect(conf).toMatch(/^max_connections = 300$/m);
    expect(conf).toContain(`shared_buffers = '64MB'`);
    expect(conf).toContain(`unix_socket_directories = '/r/pg-2'`);
  });

  it('names the instance in cluster_name so backend titles identify it', () => {
    expect(renderPostgresConf(settings)).toContain(`cluster_name = 'seamline-pg-2-54332'`);
  });

  it('doubles single quotes inside string values', () => {
    expect(renderPostgresConf({ unix_socket_directories: "/tmp/o'brien" })).toContain(
      `unix_socket_directories = '/tmp/o''brien'`,
    );
  });

  it('builds urls for the postgres superuser on loopback', () => {
    expect(postgresUrl(54331)).toBe('postgres://postgres@127.0.0.1:54331/postgres');
  });

  it('reads uid and gid of a user from passwd text', () => {
    const text =
      'root:x:0:0:root:/root:/bin/bash\npostgres:x:101:104::/var/lib/postgresql:/bin/bash\n';
    expect(parsePasswd(text, 'postgres')).toEqual({ uid: 101, gid: 104 });
    expect(parsePasswd(text, 'nobody')).toBeUndefined();
  });
});

describe('nats config', () => {
  const { ports } = resolveOptions({ offset: 1000 });

  it('renders one node per cluster member with routes to all three', () => {
    const nodes = natsNodeConfigs('cluster', ports, (i) => `/r/nats-${i}`);
    expect(nodes.map((n) => n.serverName)).toEqual(['nats-1', 'nats-2', 'nats-3']);
    const conf = renderNatsConfig(nodes[1]!);
    expect(conf).toContain('server_name: "nats-2"');
    expect(conf).toContain('listen: "127.0.0.1:45222"');
    expect(conf).toContain('http: "127.0.0.1:49222"');
    expect(conf).toContain('store_dir: "/r/nats-2"');
    expect(conf).toContain('name: "seamline"');
    expect(conf).toContain('listen: "127.0.0.1:47222"');
    for (const port of [47221, 47222, 47223]) {
      expect(conf).toContain(`"nats-route://127.0.0.1:${port}"`);
    }
  });

  it('renders a single node without a cluster block', () => {
    const nodes = natsNodeConfigs('single', ports, () => '/r/nats-single');
    expect(nodes).toHaveLength(1);
    const conf = renderNatsConfig(nodes[0]!);
    expect(conf).not.toContain('cluster');
    expect(conf).toContain('jetstream {');
  });

  it('quotes paths so spaces and quotes survive', () => {
    const [node] = natsNodeConfigs('single', ports, () => '/tmp/a "b" c');
    expect(renderNatsConfig(node!)).toContain('store_dir: "/tmp/a \\"b\\" c"');
  });
});

describe('stack options', () => {
  it('uses the documented default ports', () => {
    expect(resolveOptions().ports).toEqual({
      postgres: [54331, 54332, 54333],
      natsClient: [44221, 44222, 44223],
      natsCluster: [46221, 46222, 46223],
      natsMonitor: [48221, 48222, 48223],
    });
  });

  it('adds the offset to every port, including overridden bases', () => {
    const { ports } = resolveOptions({ offset: 1000, portBase: { postgres: 60000 } });
    expect(ports.postgres).toEqual([61000, 61001, 61002]);
    expect(ports.natsMonitor).toEqual([49221, 49222, 49223]);
  });

  it('keeps a +1000 stack clear of every default port', () => {
    const defaults = Object.values(resolveOptions().ports).flat();
    const shifted = Object.values(resolveOptions({ offset: 1000 }).ports).flat();
    expect(shifted.filter((port) => defaults.includes(port))).toEqual([]);
  });

  it('rejects an offset that pushes ports out of range, naming the field', () => {
    expect(() => resolveOptions({ offset: 20000 })).toThrow(/portBase\.postgres/);
    expect(() => resolveOptions({ offset: 0.5 })).toThrow(/offset/);
  });

  it('rejects an unknown nats mode', () => {
    expect(() => resolveOptions({ nats: 'mesh' as never })).toThrow(/nats/);
  });
});

describe('binaries', () => {
  it('orders postgres version dirs highest first, numerically', () => {
    expect(sortVersionDirs(['9.6', '15', '13', 'README', '16'])).toEqual(['16', '15', '13', '9.6']);
  });

  it('reads the major version from postgres --version', () => {
    expect(parsePostgresVersion('postgres (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)\n')).toBe(15);
    expect(() => parsePostgresVersion('nope')).toThrow(/unrecognised/);
  });
});
