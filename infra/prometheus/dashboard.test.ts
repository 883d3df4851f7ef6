/**
 * Checks grafana/dashboards/seamline-seams.json against the metric contract.
 *
 * Hunts: a panel querying a metric name no process exports (it would sit
 * empty, looking like "all quiet"), a seam without a row, a seam signal that
 * no panel shows, a panel pointing at a datasource Grafana does not provision.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALL_METRIC_NAMES, baseMetricName } from '@seamline/observability';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ensurePromtool, promtool, repoRoot as root } from './promtool.ts';

interface Target {
  expr?: string;
  datasource?: { uid?: string };
}
interface Panel {
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: Target[];
  panels?: Panel[];
}

const dashboard = JSON.parse(
  readFileSync(`${root}/grafana/dashboards/seamline-seams.json`, 'utf8'),
) as { uid: string; panels: Panel[] };
const allPanels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const queryPanels = allPanels.filter((p) => p.type !== 'row');
const exprs = queryPanels.flatMap((p) =>
  (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr ?? '' })),
);

/** Seamline series names an expression reads, histogram suffixes folded into the base name. */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/seamline_[a-z_]+/g)].map(([name]) => baseMetricName(name));
}

describe('Seamline seams dashboard', () => {
  it('queries only metric names exported by @seamline/observability', () => {
    expect(exprs.length).toBeGreaterThan(0);
    const known = new Set<string>(ALL_METRIC_NAMES);
    for (const { panel, expr } of exprs) {
      expect(expr, panel).not.toBe('');
      for (const name of metricsIn(expr)) expect(known.has(name), `${panel}: ${name}`).toBe(true);
    }
  });

  it('shows every seam signal somewhere', () => {
    const shown = new Set(exprs.flatMap(({ expr }) => metricsIn(expr)));
    expect(ALL_METRIC_NAMES.filter((name) => !shown.has(name))).toEqual([]);
  });

  it('has one row per seam, in pipeline order', () => {
    expect(dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title)).toEqual([
      'Bus',
      'Quorum store',
      'Leader & fencing',
      'Retry budget',
      'Idempotency',
      'Sagas',
      'HTTP edge',
    ]);
  });

  it('names each panel after the question it answers', () => {
    const titles = queryPanels.map((p) => p.title);
    for (const title of titles) expect(title, title).toMatch(/\?$/);
    expect(titles).toEqual(
      expect.arrayContaining([
        'Is any consumer falling behind?',
        'Is quorum write p99 within objective?',
        'Did a stale leader try to write?',
        'Are we shedding retries?',
        'Did anything take effect twice?',
        'Are sagas finishing or stuck?',
      ]),
    );
  });

  it('reads from the datasource Grafana provisions', () => {
    const provisioned = parse(
      readFileSync(`${root}/grafana/provisioning/datasources/prometheus.yml`, 'utf8'),
    ) as { datasources: { uid: string }[] };
    const uids = new Set(provisioned.datasources.map((d) => d.uid));
    for (const panel of queryPanels) {
      expect(uids.has(panel.datasource?.uid ?? ''), panel.title).toBe(true);
      for (const target of panel.targets ?? []) {
        expect(uids.has(target.datasource?.uid ?? ''), panel.title).toBe(true);
      }
    }
  });

  describe('queries', () => {
    beforeAll(ensurePromtool, 600_000);

    it('are valid PromQL (checked by promtool as recording rules)', () => {
      // Grafana substitutes its interval variables before querying; do the same.
      const rules = exprs.map(({ expr }, i) => ({
        record: `dashboard:query_${i}`,
        expr: expr.replace(/\$__rate_interval|\$__interval|\$__range/g, '1m'),
      }));
      const dir = mkdtempSync(join(tmpdir(), 'seamline-dashboard-'));
      try {
        const file = join(dir, 'queries.yml');
        writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
        const result = promtool('check', 'rules', file);
        expect(result.ok, result.output).toBe(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
