/**
 * Quorum store benchmark: write and read latency at N=3, W=2, R=2 beside a plain
 * single-instance write (the same statement on one PostgreSQL), at the same offered load and in
 * the same run; then batched write throughput. Usage: npm run bench:quorum [-- --rate 300 --seconds 10]
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { QuorumStore } from '@seamline/quorum-store';
import { endpoints, stackUp } from '../infra/stack/index.ts';
import { HEADER, openLoop, row, summarize } from './load-stats.ts';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '300' },
    seconds: { type: 'string', default: '10' },
    batch: { type: 'string', default: '500' },
  },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const batch = Number(values.batch);

await stackUp({ log: (l) => console.error(l) });
const stack = endpoints();
const replicas = stack.postgres.map((p) => ({ name: p.name, url: p.url }));
const quorum = await QuorumStore.open({
  replicas,
  database: 'bench_quorum',
  replicaTimeoutMs: 2000,
  poolSize: 20,
});
const single = await QuorumStore.open({
  replicas: replicas.slice(0, 1),
  database: 'bench_single',
  writeQuorum: 1,
  readQuorum: 1,
  replicaTimeoutMs: 2000,
  poolSize: 20,
});

const run = Date.now();
const write = (store: QuorumStore, prefix: string) => (i: number) =>
  store
    .write(
      'bench',
      [
        {
          key: `${prefix}-${run}-${i}`,
          version: { fence: 1, seq: 1 },
          value: { i, pad: 'x'.repeat(100) },
        },
      ],
      { token: 1 },
    )
    .then(() => {});
const read = (store: QuorumStore, prefix: string) => (i: number) =>
  store.read('bench', `${prefix}-${run}-${i}`).then(() => {});

console.error(`warm-up...`);
await openLoop(rate, 2, write(quorum, 'warm'));
await openLoop(rate, 2, write(single, 'warm'));

console.error(`latency at ${rate} ops/s, ${seconds}s per operation, interleaved in 2 s rounds...`);
// Alternate the four measurements in short rounds so a load change on this shared machine hits
// them alike; the ratio between them is the figure that means something.
const samples = {
  singleWrite: [] as number[],
  quorumWrite: [] as number[],
  singleRead: [] as number[],
  quorumRead: [] as number[],
};
const errors = { singleWrite: 0, quorumWrite: 0, singleRead: 0, quorumRead: 0 };
const rounds = Math.max(1, Math.round(seconds / 2));
let offset = 0;
for (let r = 0; r < rounds; r++) {
  const base = offset;
  const plan: [keyof typeof samples, (i: number) => Promise<void>][] = [
    ['singleWrite', (i) => write(single, 's')(base + i)],
    ['quorumWrite', (i) => write(quorum, 'q')(base + i)],
    ['singleRead', (i) => read(single, 's')(base + i)],
    ['quorumRead', (i) => read(quorum, 'q')(base + i)],
  ];
  for (const [name, op] of plan) {
    const s = await openLoop(rate, 2, op, samples[name]);
    errors[name] += s.errors;
  }
  offset += rate * 2;
}
const took = rounds * 2;
const singleWrite = summarize(samples.singleWrite, errors.singleWrite, took);
const quorumWrite = summarize(samples.quorumWrite, errors.quorumWrite, took);
const singleRead = summarize(samples.singleRead, errors.singleRead, took);
const quorumRead = summarize(samples.quorumRead, errors.quorumRead, took);

console.error(`batched throughput: ${batch} records per write, 4 writers, ${seconds}s...`);
let records = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: 4 }, async (_, w) => {
    for (let n = 0; performance.now() - started < seconds * 1000; n++) {
      const rows = Array.from({ length: batch }, (_, i) => ({
        key: `b-${run}-${w}-${n}-${i}`,
        version: { fence: 1, seq: 1 },
        value: { i, pad: 'x'.repeat(100) },
      }));
      await quorum.write('bench-batch', rows, { token: 1 });
      records += rows.length;
    }
  }),
);
const perSec = records / ((performance.now() - started) / 1000);

console.log(
  `\nQuorum store, N=3 W=2 R=2 vs single instance; ${rate} ops/s open loop, ${seconds}s each (ms)\n`,
);
console.log(HEADER);
console.log(row('single-instance write', singleWrite));
console.log(row('quorum write (W=2 of 3)', quorumWrite));
console.log(row('single-instance read', singleRead));
console.log(row('quorum read (R=2 of 3)', quorumRead));
console.log(
  `\nquorum write p99 / single-instance write p99 = ${(quorumWrite.p99 / singleWrite.p99).toFixed(2)}x`,
);
console.log(
  `batched quorum writes: ${Math.round(perSec)} records/s (${batch} records per write, 4 concurrent writers)`,
);

await quorum.close();
await single.close();
for (const r of replicas) {
  const c = new pg.Client({ connectionString: r.url });
  await c.connect();
  await c.query('drop database if exists bench_quorum with (force)');
  await c.query('drop database if exists bench_single with (force)');
  await c.end();
}
