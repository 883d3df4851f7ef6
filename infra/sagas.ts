/**
 * `npm run sagas -- stuck [--urls http://127.0.0.1:3000,http://127.0.0.1:3001]`: lists sagas
 * whose compensation keeps failing, as the order leader sees them. Exit code 1 when any is stuck.
 */
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    urls: {
      type: 'string',
      default: 'http://127.0.0.1:3000,http://127.0.0.1:3001,http://127.0.0.1:3002',
    },
  },
});
if (positionals[0] !== 'stuck') {
  console.error('usage: npm run sagas -- stuck [--urls <order replica urls>]');
  process.exit(2);
}
for (const url of values.urls.split(',')) {
  const res = await fetch(`${url}/admin/sagas/stuck`, { signal: AbortSignal.timeout(3000) }).catch(
    () => undefined,
  );
  if (res === undefined || !res.ok) continue;
  const view = (await res.json()) as {
    leader: boolean;
    token: number | null;
    stuck: Record<string, unknown>[];
  };
  if (!view.leader) continue;
  console.log(`leader ${url} (token ${view.token}): ${view.stuck.length} stuck saga(s)`);
  for (const s of view.stuck)
    console.log(
      `  ${String(s.orderId)}  ${String(s.compensating)} sent ${String(s.sends)}x since ${String(s.since)}  reason ${String(s.reason)}`,
    );
  process.exit(view.stuck.length > 0 ? 1 : 0);
}
console.error('no order replica answered as leader');
process.exit(2);
