/**
 * `npm run stack -- <command>`: the supervisor's command line. Runs under plain node (type
 * stripping), so everything it imports is erasable TypeScript.
 */
import { parseArgs } from 'node:util';
import {
  endpoints,
  readStatus,
  renderStatusTable,
  restartProcess,
  signalProcess,
  stackDown,
  stackUp,
} from './index.ts';
import type { NatsMode, StackOptions } from './index.ts';
import { stackOptionsFromEnv } from './env-options.ts';

const USAGE = `usage: npm run stack -- <command> [--root=DIR] [--offset=N]
  (defaults from SEAMLINE_STACK_ROOT, SEAMLINE_STACK_OFFSET, SEAMLINE_STACK_NATS)
  up [--nats=cluster|single] [--chaos]
                              start (or complete) the stack, wait until every process is ready;
                              --chaos allows fault injection (npm run chaos -- fault ...) until down
  down                        stop every process of the stack (services, NATS, postgres)
  status [--json]             recorded processes with their live state
  endpoints                   connection urls as JSON
  pause <name>                SIGSTOP the process group (e.g. pg-2, nats-1, order-1)
  resume <name>               SIGCONT the process group
  kill <name>                 SIGKILL the process group and wait until it is gone
  restart <name>              kill if alive, start again, wait until ready`;

function fail(message: string): never {
  process.stderr.write(`stack: ${message}\n`);
  process.exit(1);
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      root: { type: 'string' },
      offset: { type: 'string' },
      nats: { type: 'string' },
      json: { type: 'boolean' },
      chaos: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, name] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (values.nats !== undefined && values.nats !== 'cluster' && values.nats !== 'single') {
    fail(`--nats must be cluster or single, got ${values.nats}`);
  }
  const options: StackOptions = {
    ...stackOptionsFromEnv(),
    ...(values.root ? { root: values.root } : {}),
    ...(values.offset ? { offset: Number(values.offset) } : {}),
    ...(values.nats ? { nats: values.nats as NatsMode } : {}),
    log: (line) => process.stderr.write(`stack: ${line}\n`),
  };
  const needName = () => name ?? fail(`${command} needs a process name\n${USAGE}`);

  switch (command) {
    case 'up': {
      const report = await stackUp({ ...options, pin: true, chaos: values.chaos === true });
      const parts = [
        report.started.length ? `started ${report.started.join(', ')}` : '',
        report.resumed.length ? `resumed ${report.resumed.join(', ')}` : '',
        report.alreadyRunning.length ? `already running ${report.alreadyRunning.join(', ')}` : '',
      ].filter(Boolean);
      process.stdout.write(
        `stack up at ${report.root} (nats ${report.nats}): ${parts.join('; ')}\n`,
      );
      if (values.chaos) {
        process.stdout.write(
          'chaos enabled: services started from now on get SEAMLINE_CHAOS=on ' +
            '(restart running ones); set faults with npm run chaos -- fault set ...\n',
        );
      }
      process.stdout.write(`${JSON.stringify(report.endpoints, null, 2)}\n`);
      return;
    }
    case 'down': {
      const report = await stackDown(options);
      process.stdout.write(
        report.alreadyDown
          ? `stack at ${report.root} was already down\n`
          : `stack down at ${report.root}: ${report.stopped.map((s) => `${s.name} ${s.how}`).join(', ')}\n`,
      );
      return;
    }
    case 'status': {
      const view = readStatus(options);
      process.stdout.write(
        values.json ? `${JSON.stringify(view, null, 2)}\n` : renderStatusTable(view),
      );
      return;
    }
    case 'endpoints':
      process.stdout.write(`${JSON.stringify(endpoints(options), null, 2)}\n`);
      return;
    case 'pause':
    case 'resume':
    case 'kill': {
      const record = await signalProcess(needName(), command, options);
      process.stdout.write(
        `${record.name} (pid ${record.pid}, group ${record.pgid}): ${record.state}\n`,
      );
      return;
    }
    case 'restart': {
      const record = await restartProcess(needName(), options);
      process.stdout.write(`${record.name} restarted: pid ${record.pid}, ready\n`);
      return;
    }
    default:
      fail(`unknown command ${command}\n${USAGE}`);
  }
}

try {
  await main(process.argv.slice(2));
  // Probe sockets (fetch keep-alive) must not keep the command waiting.
  process.exit(0);
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
