/**
 * Operator commands for sagas, asked of whichever order replica leads:
 *
 *   npm run sagas -- stuck [--urls ...]
 *     lists sagas whose compensation keeps failing, and parked ones (the orchestrator cannot
 *     build their commands or read their record). Exit code 1 when any is stuck.
 *   npm run sagas -- quarantine <orderId> [--note "why"] [--urls ...]
 *     ends a parked saga: compensations that cannot be built are skipped, the others run, the
 *     saga ends CANCELLED. Refused (exit 1) for a saga the orchestrator can still drive.
 *
 * --urls defaults to http://127.0.0.1:3000,3001,3002.
 */
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    urls: {
      type: 'string',
      default: 'http://127.0.0.1:3000,http://127.0.0.1:3001,http://127.0.0.1:3002',
    },
    note: { type: 'string', default: 'quarantined from the CLI' },
  },
});

interface StuckView {
  leader: boolean;
  token: number | null;
  stuck: Record<string, unknown>[];
}

const usage =
  'usage: npm run sagas -- stuck [--urls <order replica urls>]\n' +
  '       npm run sagas -- quarantine <orderId> [--note <why>] [--urls <order replica urls>]';

/** The leader's URL and its view of stuck sagas; undefined when no replica answers as leader. */
async function leader(): Promise<{ url: string; view: StuckView } | undefined> {
  for (const url of values.urls.split(',')) {
    const res = await fetch(`${url}/admin/sagas/stuck`, {
      signal: AbortSignal.timeout(3000),
    }).catch(() => undefined);
    if (res === undefined || !res.ok) continue;
    const view = (await res.json()) as StuckView;
    if (view.leader) return { url, view };
  }
  return undefined;
}

const [command, orderId] = positionals;
if (command !== 'stuck' && !(command === 'quarantine' && orderId !== undefined)) {
  console.error(usage);
  process.exit(2);
}
const found = await leader();
if (found === undefined) {
  console.error('no order replica answered as leader');
  process.exit(2);
}
const { url, view } = found;

if (command === 'stuck') {
  console.log(`leader ${url} (token ${view.token}): ${view.stuck.length} stuck saga(s)`);
  for (const s of view.stuck) {
    const parked = s.parked as { code: string; detail: string } | null | undefined;
    console.log(
      parked
        ? `  ${String(s.orderId)}  PARKED ${parked.code} at ${String(s.compensating)} since ${String(s.since)}: ${parked.detail}\n` +
            `    way out: npm run sagas -- quarantine ${String(s.orderId)} --note "<why>"`
        : `  ${String(s.orderId)}  ${String(s.compensating)} sent ${String(s.sends)}x since ${String(s.since)}  reason ${String(s.reason)}`,
    );
  }
  process.exit(view.stuck.length > 0 ? 1 : 0);
}

const res = await fetch(`${url}/admin/sagas/${encodeURIComponent(orderId!)}/quarantine`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ note: values.note }),
  signal: AbortSignal.timeout(10_000),
});
const answer = (await res.json()) as Record<string, unknown>;
if (!res.ok) {
  console.error(`refused (${res.status}): ${String(answer.detail)}`);
  process.exit(1);
}
const skipped = (answer.skipped as { action: string; why: string }[]).map(
  (s) => `${s.action} (${s.why})`,
);
const left = answer.leftApplied as string[];
console.log(
  `quarantined ${orderId!}: now ${String(answer.status)}; skipped ${skipped.join(', ') || 'nothing'}` +
    (left.length > 0 ? `; left applied, not undone: ${left.join(', ')}` : ''),
);
