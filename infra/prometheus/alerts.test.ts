/**
 * Hunts: an alert rule that never fires (or always fires) on the series it is
 * meant for, a config or rule file Prometheus would refuse, an alert whose
 * runbook link leads nowhere, an expression naming a metric no process exports.
 *
 * The firing/quiet cases themselves live in alerts.test.yml (promtool's own
 * rule unit tests); this file runs them and checks the wiring around them.
 */
import { readFileSync } from 'node:fs';
import { isSeamlineSeries } from '@seamline/observability';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ensurePromtool, promtool, repoRoot as root } from './promtool.ts';

const dir = 'infra/prometheus';

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleTest {
  alert_rule_test: { alertname: string; exp_alerts: unknown[] }[];
}

const rules: Rule[] = (
  parse(readFileSync(`${root}/${dir}/alerts.yml`, 'utf8')) as { groups: { rules: Rule[] }[] }
).groups.flatMap((g) => g.rules);
const ruleTests = (
  parse(readFileSync(`${root}/${dir}/alerts.test.yml`, 'utf8')) as { tests: RuleTest[] }
).tests.flatMap((t) => t.alert_rule_test);

/** The alerts the on-call contract promises; renaming one breaks runbook links and silences. */
const REQUIRED_ALERTS = [
  'DuplicateEffects',
  'DedupHitRatioHigh',
  'ConsumerLagGrowing',
  'QuorumWriteP99High',
  'LeaderChurn',
  'RetryBudgetExhausted',
  'SagasStuck',
  'FencingRejections',
  'DeadLetters',
  'ReplicaEjected',
];

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

describe('promtool', () => {
  beforeAll(ensurePromtool, 600_000);

  it('accepts the local and the compose scrape configs (rule files included)', () => {
    for (const config of ['prometheus.yml', 'prometheus.compose.yml']) {
      const result = promtool('check', 'config', `${dir}/${config}`);
      expect(result.ok, result.output).toBe(true);
    }
  });

  it('passes the alert rule unit tests', () => {
    const result = promtool('test', 'rules', `${dir}/alerts.test.yml`);
    expect(result.ok, result.output).toBe(true);
    expect(result.output).toContain('SUCCESS');
  });
});

describe('alert rules', () => {
  it('include every alert of the on-call contract', () => {
    expect(rules.map((r) => r.alert)).toEqual(expect.arrayContaining(REQUIRED_ALERTS));
  });

  it('each have a severity, a summary and a runbook link to a section that exists', () => {
    const runbook = readFileSync(`${root}/runbook/README.md`, 'utf8');
    const anchors = new Set([...runbook.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchor(m[1]!)));
    for (const rule of rules) {
      expect(['page', 'ticket', 'info'], rule.alert).toContain(rule.labels?.['severity']);
      expect(rule.annotations?.['summary'], rule.alert).toBeTruthy();
      const url = rule.annotations?.['runbook_url'] ?? '';
      expect(url, rule.alert).toBe(`runbook/README.md#${rule.alert.toLowerCase()}`);
      expect(anchors.has(rule.alert.toLowerCase()), `runbook section for ${rule.alert}`).toBe(true);
    }
  });

  it('each have a promtool case where they fire and one where they stay quiet', () => {
    for (const rule of rules) {
      const cases = ruleTests.filter((t) => t.alertname === rule.alert);
      expect(
        cases.some((t) => t.exp_alerts.length > 0),
        `${rule.alert} fires somewhere`,
      ).toBe(true);
      expect(
        cases.some((t) => t.exp_alerts.length === 0),
        `${rule.alert} is quiet somewhere`,
      ).toBe(true);
    }
  });

  it('only name metrics that Seamline processes export', () => {
    for (const rule of rules) {
      for (const [name] of rule.expr.matchAll(/seamline_[a-z_]+/g)) {
        expect(isSeamlineSeries(name), `${rule.alert}: ${name}`).toBe(true);
      }
    }
  });
});
