/**
 * Which seam signal moves first, and how fast: runs a command (a chaos scenario, the demo) and,
 * while it runs, scrapes the /metrics of every service the stack supervisor knows every few
 * hundred milliseconds, printing one timeline of the command's own lines and the moments the
 * seam signals move. Optionally signals stack processes on a schedule (pause a Postgres
 * replica at +15 s, resume it at +35 s). docs/signals.md is written from these timelines.
 *
 *   node --import tsx infra/prometheus/signal-timeline.ts [--every 250] \
 *     [--at 15s:pause:pg-2 --at 35s:resume:pg-2 [--from 'placing']] -- npm run demo
 *
 * `--at` times count from the start, or with `--from` from the first line of the command that
 * matches that pattern (e.g. once the demo starts placing orders).
 *
 * Times are at the source (the process' own /metrics); Prometheus adds up to one scrape
 * interval (5 s) and each alert its `for:` on top.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { parseExposition } from '@seamline/observability';
import type { Sample } from '@seamline/observability';
import { stackOptionsFromEnv } from '../stack/env-options.ts';
import { readStatus, signalProcess } from '../stack/index.ts';
import type { SignalAction } from '../stack/index.ts';
import { signalEvents } from './signal-events.ts';
import type { SignalState } from './signal-events.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    every: { type: 'string', default: '250' },
    at: { type: 'string', multiple: true },
    from: { type: 'string' },
  },
});
if (positionals.length === 0) {
  process.stderr.write(
    'usage: signal-timeline.ts [--every MS] [--at 15s:pause:pg-2] -- <command...>\n',
  );
  process.exit(2);
}
const stack = stackOptionsFromEnv();
const everyMs = Number(values.every);
const t0 = Date.now();
const stamp = () => `+${((Date.now() - t0) / 1000).toFixed(2).padStart(7)}s`;
const line = (who: string, text: string) =>
  process.stdout.write(`${stamp()}  ${who.padEnd(16)} ${text}\n`);

const schedule = (values.at ?? []).map((at) => {
  const [when, action, name] = at.split(':');
  const ms = Number.parseFloat(when ?? '') * (when?.endsWith('ms') ? 1 : 1000);
  if (
    !Number.isFinite(ms) ||
    name === undefined ||
    !['pause', 'resume', 'kill'].includes(action ?? '')
  ) {
    process.stderr.write(`bad --at ${at} (want 15s:pause:pg-2)\n`);
    process.exit(2);
  }
  return { ms, action: action as SignalAction, name };
});
let scheduled = false;
function startSchedule(): void {
  if (scheduled) return;
  scheduled = true;
  for (const { ms, action, name } of schedule) {
    setTimeout(() => {
      line('timeline', `${action} ${name}`);
      signalProcess(name, action, stack).catch((err: unknown) =>
        line('timeline', `${action} ${name} failed: ${(err as Error).message}`),
      );
    }, ms).unref();
  }
}
const from = values.from === undefined ? undefined : new RegExp(values.from);
if (from === undefined) startSchedule();

const child = spawn(positionals[0]!, positionals.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
for (const stream of [child.stdout, child.stderr]) {
  createInterface({ input: stream }).on('line', (text) => {
    line('command', text);
    if (from?.test(text) === true) startSchedule();
  });
}

const states = new Map<string, SignalState>();
let sampling = false;
const sampler = setInterval(() => {
  if (sampling) return;
  sampling = true;
  void sampleAll().finally(() => (sampling = false));
}, everyMs);

async function sampleAll(): Promise<void> {
  const services = readStatus(stack).processes.filter(
    (p) => p.kind === 'service' && p.ports['http'] !== undefined && p.name !== 'prometheus',
  );
  await Promise.all(
    services.map(async (p) => {
      const samples = await scrape(`http://127.0.0.1:${p.ports['http']}/metrics`);
      const state = states.get(p.name);
      const { events, next } = signalEvents(state, samples, Date.now());
      states.set(p.name, next);
      for (const e of events) line(p.name, e);
    }),
  );
}

async function scrape(url: string): Promise<readonly Sample[] | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(Math.max(500, everyMs * 2)) });
    return res.ok ? parseExposition(await res.text()).samples : undefined;
  } catch {
    return undefined;
  }
}

const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
clearInterval(sampler);
line('timeline', `command exited with ${code}`);
process.exit(code);
