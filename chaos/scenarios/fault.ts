/**
 * `npm run chaos -- fault <set|list|clear|tally> [options]`: the manual fault switch. Rules go
 * to the chaos bucket of the stack's NATS cluster, where every service started with chaos
 * enabled (`npm run stack -- up --chaos`) picks them up within milliseconds. Setting a rule is
 * refused unless the stack was started with chaos enabled; listing and clearing always work.
 */
import { parseArgs } from 'node:util';
import { connect } from '@nats-io/transport-node';
import type { FaultAction, FaultRuleInput } from '@seamline/chaos-control';
import {
  ChaosControl,
  ChaosNotAppliedError,
  describeRule,
  FAULT_ACTIONS,
} from '@seamline/chaos-control';
import { stackOptionsFromEnv } from '../../infra/stack/env-options.ts';
import { endpoints, readStatus } from '../../infra/stack/index.ts';
import { parseDuration } from '../support/durations.ts';

export const describe = 'set, list or clear fault rules on the bus (needs stack up --chaos)';

const USAGE = `usage: npm run chaos -- fault <command> [options]
  set   --pattern P --action A   P = service.action | service.* | *
                                 A = ${FAULT_ACTIONS.join(' | ')}
        [--rate R]               share of matching commands hit, 0..1 (default 1)
        [--count N]              hit N commands, then stop
        [--delay-ms N]           delay: how long (required); stall: the longest hold
        [--for 10s | --until ISO]  stop firing after this
        [--saga ID]              only this saga's commands
        [--id ID]                rule id (default generated; the same id replaces a rule)
  list                           the rules in force
  clear [--id ID]                remove one rule, or all
  tally                          what each watching service process saw and did
common: --prefix P (bus prefix, default seamline), --timeout-ms N (wait for services, default 5000)`;

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        pattern: { type: 'string' },
        action: { type: 'string' },
        rate: { type: 'string' },
        count: { type: 'string' },
        'delay-ms': { type: 'string' },
        for: { type: 'string' },
        until: { type: 'string' },
        saga: { type: 'string' },
        id: { type: 'string' },
        prefix: { type: 'string', default: 'seamline' },
        'timeout-ms': { type: 'string', default: '5000' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return usage((err as Error).message);
  }
  const { values, positionals } = parsed;
  const [command] = positionals;
  if (values.help || command === undefined) return usage();
  const stackOptions = stackOptionsFromEnv();
  const status = readStatus(stackOptions);
  if (!status.exists || !status.up) return fail(`the stack at ${status.root} is not up`, 2);
  if (command === 'set' && status.chaos !== true) {
    return fail(
      'refused: chaos is not enabled on this stack; start it with `npm run stack -- up --chaos`',
      2,
    );
  }
  const nats = endpoints(stackOptions).nats;
  const nc = await connect({ servers: nats, name: 'seamline-chaos-cli' });
  try {
    const control = await ChaosControl.open(nc, {
      prefix: values.prefix,
      replicas: Math.min(3, nats.length),
    });
    const timeoutMs = Number(values['timeout-ms']);
    switch (command) {
      case 'set':
        return await set(control, values, timeoutMs);
      case 'list': {
        const rules = await control.list();
        if (rules.length === 0) say(`no fault rules in ${control.bucket}`);
        for (const { rule, revision } of rules) say(`${describeRule(rule)} (revision ${revision})`);
        return 0;
      }
      case 'clear': {
        const { cleared, revision } = await control.clear(values.id);
        say(cleared.length === 0 ? 'nothing to clear' : `cleared ${cleared.join(', ')}`);
        if (revision > 0)
          await confirm(control, await servicesWatching(control), revision, timeoutMs);
        return 0;
      }
      case 'tally': {
        for (const t of await control.tallies()) {
          const age = Math.round((Date.now() - t.at) / 1000);
          say(`${t.service}/${t.replica} (seed ${t.seed}, revision ${t.revision}, ${age} s ago)`);
          for (const [pattern, n] of Object.entries(t.deliveries))
            say(`  ${pattern}: ${n} deliveries, ${t.commits[pattern] ?? 0} committed`);
          for (const [id, r] of Object.entries(t.rules))
            say(
              `  rule ${id}: ${r.deliveries} deliveries, ${r.commits} commits, applied ${r.applied}`,
            );
        }
        return 0;
      }
      default:
        return usage(`unknown command ${command}`);
    }
  } catch (err) {
    return fail((err as Error).message, 2);
  } finally {
    await nc.close();
  }
}

async function set(
  control: ChaosControl,
  v: Record<string, string | boolean | undefined>,
  timeoutMs: number,
): Promise<number> {
  const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  const num = (k: string) => (str(k) === undefined ? undefined : Number(str(k)));
  const pattern = str('pattern');
  const action = str('action');
  if (pattern === undefined || action === undefined)
    return usage('set needs --pattern and --action');
  if (!(FAULT_ACTIONS as readonly string[]).includes(action))
    return usage(`unknown action ${action}`);
  const forMs = str('for') === undefined ? undefined : parseDuration(str('for')!);
  const until = str('until') === undefined ? undefined : Date.parse(str('until')!);
  if (until !== undefined && Number.isNaN(until)) return usage('--until must be an ISO time');
  const input: FaultRuleInput = {
    pattern,
    action: action as FaultAction,
    ...(str('id') === undefined ? {} : { id: str('id') }),
    ...(num('rate') === undefined ? {} : { rate: num('rate') }),
    ...(num('count') === undefined ? {} : { count: num('count') }),
    ...(num('delay-ms') === undefined ? {} : { delayMs: num('delay-ms') }),
    ...(forMs === undefined && until === undefined ? {} : { until: until ?? Date.now() + forMs! }),
    ...(str('saga') === undefined ? {} : { sagaId: str('saga') }),
  };
  const { rule, revision } = await control.set(input);
  say(`set ${describeRule(rule)} in ${control.bucket} (revision ${revision})`);
  const service =
    rule.pattern === '*' ? await servicesWatching(control) : [rule.pattern.split('.')[0]!];
  await confirm(control, service, revision, timeoutMs);
  return 0;
}

/** Waits until the watching processes of each service applied the change; warns, never fails. */
async function confirm(
  control: ChaosControl,
  services: readonly string[],
  revision: number,
  timeoutMs: number,
): Promise<void> {
  for (const service of services) {
    try {
      const live = await control.waitApplied(service, revision, { timeoutMs });
      say(`applied by ${live.map((t) => `${t.service}/${t.replica}`).join(', ')}`);
    } catch (err) {
      if (!(err instanceof ChaosNotAppliedError)) throw err;
      say(`warning: ${err.message}; a service started before --chaos needs a restart`);
    }
  }
}

async function servicesWatching(control: ChaosControl): Promise<string[]> {
  const fresh = (await control.tallies()).filter((t) => Date.now() - t.at < 3_000);
  return [...new Set(fresh.map((t) => t.service))];
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function usage(problem?: string): number {
  if (problem !== undefined) process.stderr.write(`fault: ${problem}\n`);
  process.stdout.write(`${USAGE}\n`);
  return problem === undefined ? 0 : 2;
}

function fail(message: string, code: number): number {
  process.stderr.write(`fault: ${message}\n`);
  return code;
}
