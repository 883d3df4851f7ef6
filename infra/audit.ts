/**
 * `npm run audit -- [--repair] [--expect-terminal] [--json]`: the invariant auditor against the
 * running stack's PostgreSQL replicas (see libs/audit). Exit code 0 when the invariants hold,
 * 1 on violations, 2 when the audit could not run (too few replicas answered, bad flags).
 */
import { parseArgs } from 'node:util';
import {
  auditStack,
  AuditUnavailableError,
  DEFAULT_DATABASES,
  renderReport,
} from '@seamline/audit';
import { stackOptionsFromEnv } from './stack/env-options.ts';
import { endpoints } from './stack/index.ts';

const USAGE = `usage: npm run audit -- [options]
  --repair            run the quorum store's anti-entropy first; replicas must then agree
  --expect-terminal   every order must be COMPLETED or CANCELLED (open orders are violations)
  --json              print the full report as JSON
  --order-db NAME     default ${DEFAULT_DATABASES.order}
  --payment-db NAME   default ${DEFAULT_DATABASES.payment}
  --inventory-db NAME default ${DEFAULT_DATABASES.inventory}
  --timeout-ms N      per replica connect/read timeout (default 10000)
  --root DIR, --offset N  another stack (also SEAMLINE_STACK_ROOT / SEAMLINE_STACK_OFFSET)`;

function fail(message: string): never {
  process.stderr.write(`audit: ${message}\n`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      repair: { type: 'boolean', default: false },
      'expect-terminal': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      'order-db': { type: 'string' },
      'payment-db': { type: 'string' },
      'inventory-db': { type: 'string' },
      'timeout-ms': { type: 'string' },
      root: { type: 'string' },
      offset: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (error) {
  fail(`${(error as Error).message}\n${USAGE}`);
}
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const timeoutMs = values['timeout-ms'] === undefined ? undefined : Number(values['timeout-ms']);
if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0)) {
  fail(`--timeout-ms must be a positive integer, got ${values['timeout-ms']}`);
}

const stack = endpoints({
  ...stackOptionsFromEnv(),
  ...(values.root ? { root: values.root } : {}),
  ...(values.offset ? { offset: Number(values.offset) } : {}),
});

try {
  const report = await auditStack({
    postgres: stack.postgres,
    databases: {
      ...(values['order-db'] ? { order: values['order-db'] } : {}),
      ...(values['payment-db'] ? { payment: values['payment-db'] } : {}),
      ...(values['inventory-db'] ? { inventory: values['inventory-db'] } : {}),
    },
    expectTerminal: values['expect-terminal'],
    repair: values.repair,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
  process.exit(report.ok ? 0 : 1);
} catch (error) {
  if (error instanceof AuditUnavailableError) fail(error.message);
  fail(error instanceof Error ? (error.stack ?? error.message) : String(error));
}
