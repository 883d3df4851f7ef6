/**
 * Application processes (order-1, payment-1, ...) under the same supervision as the
 * infrastructure: own process group, readiness, a record in the status file that stores the
 * spec, so chaos scripts pause/kill them and `restartProcess` starts them again unchanged.
 */
import path from 'node:path';
import { z } from 'zod';
import { launch } from './launcher.ts';
import type { LaunchPlan } from './launch-plan.ts';
import type { StackOptions } from './options.ts';
import { REPO_ROOT, stackPaths } from './options.ts';
import { liveState, stopGroup } from './process-group.ts';
import { withSession } from './session.ts';
import { findRecord } from './status-file.ts';
import type { ProcessRecord, Readiness } from './status-file.ts';

export type ServiceReadiness =
  | { kind: 'http'; url: string }
  | { kind: 'tcp'; port: number; host?: string }
  /** A line of the service's output matching `pattern` (RegExp or its source). */
  | { kind: 'log'; pattern: string | RegExp };

export interface ServiceSpec {
  /** Unique in the stack; also the log file name (`<root>/logs/<name>.log`). */
  name: string;
  /** Executable; resolved on PATH. Use process.execPath for node. */
  command: string;
  /** @default [] */
  args?: string[];
  /** Added to the supervisor's environment. @default {} */
  env?: Record<string, string>;
  /** @default the repository root */
  cwd?: string;
  /** Ports the service listens on (checked free before start, shown by `status`). @default {} */
  ports?: Record<string, number>;
  readiness: ServiceReadiness;
  /**
   * Substrings of the process cmdline that prove a pid is this service before any signal.
   * @default [the last arg, or the command when there are no args]
   */
  match?: string[];
}

const specSchema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/i, 'letters, digits, . _ - only'),
  command: z.string().min(1),
  args: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).optional(),
  cwd: z.string().optional(),
  ports: z.record(z.string(), z.number().int().min(1).max(65535)).optional(),
  readiness: z.union([
    z.object({ kind: z.literal('http'), url: z.string().min(1) }),
    z.object({ kind: z.literal('tcp'), port: z.number().int(), host: z.string().optional() }),
    z.object({
      kind: z.literal('log'),
      pattern: z.union([z.string().min(1), z.instanceof(RegExp)]),
    }),
  ]),
  match: z.array(z.string().min(1)).min(1).optional(),
});

/** Validates the spec and turns it into a launch plan for the stack at `root`. */
export function servicePlan(spec: ServiceSpec, root: string): LaunchPlan {
  const parsed = specSchema.safeParse(spec);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TypeError(`invalid service spec at ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const args = spec.args ?? [];
  const readiness: Readiness =
    spec.readiness.kind === 'log'
      ? {
          kind: 'log',
          pattern:
            spec.readiness.pattern instanceof RegExp
              ? spec.readiness.pattern.source
              : spec.readiness.pattern,
        }
      : spec.readiness;
  return {
    name: spec.name,
    kind: 'service',
    launch: {
      command: spec.command,
      args,
      env: spec.env ?? {},
      cwd: path.resolve(spec.cwd ?? REPO_ROOT),
    },
    ports: spec.ports ?? {},
    logPath: stackPaths(root).logFile(spec.name),
    dataDir: null,
    match: spec.match ?? [args.at(-1) ?? spec.command],
    readiness,
  };
}

function samePlan(record: ProcessRecord, plan: LaunchPlan): boolean {
  const pick = (value: Pick<LaunchPlan, 'launch' | 'ports' | 'match' | 'readiness'>) =>
    JSON.stringify([value.launch, value.ports, value.match, value.readiness]);
  return pick(record) === pick(plan);
}

/**
 * Starts the service and waits until ready. Already running with the same spec: returns the
 * running record (no restart). Running with a different spec: replaced.
 */
export function startService(spec: ServiceSpec, options: StackOptions = {}) {
  return withSession(options, async (session): Promise<ProcessRecord> => {
    const plan = servicePlan(spec, session.status.root);
    const existing = findRecord(session.status, spec.name);
    if (existing && existing.kind !== 'service') {
      throw new TypeError(`${spec.name} is a ${existing.kind} process of the stack, not a service`);
    }
    if (existing && liveState(existing) !== 'dead' && samePlan(existing, plan)) return existing;
    if (existing) await stopGroup(existing, { timeoutMs: session.opts.stopTimeoutMs });
    return launch(session, plan);
  });
}

/** Stops the service (SIGTERM, SIGKILL after the grace period) and forgets it. */
export function stopService(name: string, options: StackOptions = {}) {
  return withSession(options, async (session): Promise<'stopped' | 'killed' | 'absent'> => {
    const record = findRecord(session.status, name);
    if (!record) return 'absent';
    if (record.kind !== 'service') {
      throw new TypeError(`${name} is a ${record.kind} process; use stackDown or signalProcess`);
    }
    const how = await stopGroup(record, { timeoutMs: session.opts.stopTimeoutMs });
    session.status.processes = session.status.processes.filter((other) => other.name !== name);
    session.save();
    session.opts.log(`${name}: ${how}`);
    return how;
  });
}
