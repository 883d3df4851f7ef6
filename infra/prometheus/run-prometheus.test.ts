/**
 * Hunts: a generated config that drops a replica the run started (order-3 never scraped), a
 * relative rule path that Prometheus resolves against the wrong directory (no alerts at all),
 * a job renamed away from what the alert rules select, a config promtool refuses.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ensurePromtool, promtool, repoRoot } from './promtool.ts';
import { prometheusTargets, renderPrometheusConfig } from './run-prometheus.ts';

const template = readFileSync(path.join(repoRoot, 'infra/prometheus/prometheus.yml'), 'utf8');
const rules = path.join(repoRoot, 'infra/prometheus/alerts.yml');
const specs = [
  { name: 'payment-1', ports: { http: 3100 } },
  { name: 'inventory-1', ports: { http: 3200 } },
  { name: 'order-1', ports: { http: 3000 } },
  { name: 'order-2', ports: { http: 3001 } },
  { name: 'order-3', ports: { http: 3002 } },
];

describe('the local Prometheus config', () => {
  beforeAll(() => ensurePromtool());

  it('scrapes every service of the run under its job, named by replica', () => {
    const config = parse(renderPrometheusConfig(template, prometheusTargets(specs), rules)) as {
      rule_files: string[];
      global: Record<string, string>;
      scrape_configs: {
        job_name: string;
        static_configs: { targets: string[]; labels: { instance: string } }[];
      }[];
    };
    const jobs = Object.fromEntries(
      config.scrape_configs.map((c) => [
        c.job_name,
        c.static_configs.map((s) => `${s.labels.instance}@${s.targets[0]}`),
      ]),
    );
    expect(jobs).toEqual({
      payment: ['payment-1@127.0.0.1:3100'],
      inventory: ['inventory-1@127.0.0.1:3200'],
      order: ['order-1@127.0.0.1:3000', 'order-2@127.0.0.1:3001', 'order-3@127.0.0.1:3002'],
    });
    expect(config.rule_files).toEqual([rules]);
    expect(path.isAbsolute(config.rule_files[0]!)).toBe(true);
    // The template's settings survive (scrape interval the alert `for:` clauses assume).
    expect(config.global['scrape_interval']).toBe('5s');
  });

  it('is accepted by promtool, rules included', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'seamline-prom-'));
    try {
      const file = path.join(dir, 'prometheus.yml');
      writeFileSync(file, renderPrometheusConfig(template, prometheusTargets(specs), rules));
      const run = promtool('check', 'config', file);
      expect(run.output).toContain('SUCCESS');
      expect(run.ok).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('skips a spec without an HTTP port', () => {
    expect(prometheusTargets([{ name: 'worker-1', ports: {} }])).toEqual([]);
  });
});
