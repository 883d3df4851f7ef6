/**
 * `npm start`: the whole pipeline on this machine, in the foreground. Brings up the stack (3
 * PostgreSQL, 3 NATS) unless it runs already, starts two order replicas, payment and inventory
 * under the supervisor, and then streams their logs compactly. A service that exits is started
 * again (a fenced payment or inventory writer exits on purpose). Ctrl-C stops the services it
 * started and the stack if it started it.
 */
import { parseArgs } from 'node:util';
import { stackOptionsFromEnv } from './stack/env-options.ts';
import { readStatus } from './stack/index.ts';
import { bringUp } from './demo/local-run.ts';
import { LogFollower } from './demo/log-follower.ts';
import type { LogLevel } from './demo/log-follower.ts';
import { reviveServices } from './services.ts';

const USAGE = `usage: npm start -- [options]
  --replicas N        order replicas (default 2; ports 3000, 3001, ...)
  --log-level LEVEL   services' log level (default info)
  --show LEVEL        lowest level shown on the console (default info)
  --quiet             do not stream the services' logs
  --no-revive         do not restart a service that exited`;

const say = (line: string) => process.stderr.write(`start: ${line}\n`);

function fail(message: string): never {
  say(message);
  process.exit(1);
}

let parsed;
try {
  parsed = parseArgs({
    args: process.argv.slice(2),
    options: {
      replicas: { type: 'string', default: '2' },
      'log-level': { type: 'string', default: 'info' },
      show: { type: 'string', default: 'info' },
      quiet: { type: 'boolean', default: false },
      'no-revive': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
} catch (error) {
  fail(`${(error as Error).message}\n${USAGE}`);
}
const { values } = parsed;
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const replicas = Number(values.replicas);
if (!Number.isInteger(replicas) || replicas < 1 || replicas > 9) {
  fail(`--replicas must be 1..9, got ${values.replicas}`);
}
const levels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
if (!levels.includes(values.show)) fail(`--show must be one of ${levels.join(', ')}`);

const stack = stackOptionsFromEnv();
let stopping = false;
// Set once the services are up, so a signal knows what to stop.
const current: { shutdown?: () => Promise<void> } = {};
const onSignal = (signal: NodeJS.Signals) => {
  if (stopping) {
    say(`${signal} again: exiting now; what runs keeps running (npm run stack -- down)`);
    process.exit(130);
  }
  stopping = true;
  say(`${signal}: stopping what this run started...`);
  if (current.shutdown) void current.shutdown().then(() => process.exit(0));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const run = await bringUp({
  purpose: 'npm start',
  layout: { orderReplicas: replicas, logLevel: values['log-level'] },
  stack: stack,
  log: (line) => say(line),
}).catch((error: unknown) => fail((error as Error).message));

const follower = new LogFollower(
  (line) => process.stdout.write(`${line}\n`),
  values.show as LogLevel,
);
const root = readStatus(stack).root;
const names = run.specs.map((s) => s.name);
const stopReviving = values['no-revive']
  ? async () => {}
  : reviveServices(names, { ...stack, onRevive: (name, what) => say(`${name}: ${what}`) });

const shutdown = async () => {
  await stopReviving();
  follower.stop();
  await run.teardown();
  say('stopped');
};
current.shutdown = shutdown;
if (stopping) {
  // Ctrl-C arrived while the services were starting.
  await shutdown();
  process.exit(0);
}

if (!values.quiet) {
  for (const name of names) follower.add({ name, path: `${root}/logs/${name}.log` });
  follower.start();
}
say(
  [
    'Seamline is running.',
    `  order API   ${run.orderUrls.join('  ')}   (POST /orders, GET /orders/:id, /docs)`,
    `  payment     ${run.paymentUrl}    inventory  ${run.inventoryUrl}`,
    `  metrics     <service url>/metrics`,
    `  postgres    ${run.endpoints.postgres.map((p) => p.port).join(', ')}   nats ${run.endpoints.nats.join(', ')}`,
    run.startedServices.length < names.length
      ? `  already running before: ${names.filter((n) => !run.startedServices.includes(n)).join(', ')} (left alone on exit)`
      : '',
    '  seed data:  npm run seed      audit: npm run audit      status: npm run stack -- status',
    '  Ctrl-C stops what this run started.',
  ]
    .filter(Boolean)
    .join('\n'),
);
