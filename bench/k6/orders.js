// k6 version of the saga load bench, for users who have k6:
//   k6 run -e BASE_URL=http://127.0.0.1:3000 -e RATE=50 -e DURATION=30s bench/k6/orders.js
// Constant arrival rate (open loop); each order is followed until terminal.
import http from 'k6/http';
import { check } from 'k6';
import { Trend, Counter } from 'k6/metrics';

const base = __ENV.BASE_URL || 'http://127.0.0.1:3000';
const sagaLatency = new Trend('saga_latency_ms', true);
const notTerminal = new Counter('orders_not_terminal');

export const options = {
  scenarios: {
    orders: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE || 50),
      timeUnit: '1s',
      duration: __ENV.DURATION || '30s',
      preAllocatedVUs: 50,
      maxVUs: 500,
    },
  },
  thresholds: { orders_not_terminal: ['count==0'] },
};

export default function () {
  const key = `k6-${__VU}-${__ITER}-${Date.now()}`;
  const body = JSON.stringify({
    customerId: `cust-${1 + Math.floor(Math.random() * 1000)}`,
    items: [{ sku: `sku-${1 + Math.floor(Math.random() * 1000)}`, qty: 1, unitPriceCents: 500 }],
    currency: 'USD',
  });
  const res = http.post(`${base}/orders`, body, {
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
  });
  if (!check(res, { accepted: (r) => r.status === 202 })) return;
  const id = res.json('orderId');
  const got = http.get(`${base}/orders/${id}?waitMs=30000`, { timeout: '35s' });
  const order = got.json();
  if (order.status !== 'COMPLETED' && order.status !== 'CANCELLED') {
    notTerminal.add(1);
    return;
  }
  sagaLatency.add(Date.parse(order.finishedAt) - Date.parse(order.createdAt));
}
