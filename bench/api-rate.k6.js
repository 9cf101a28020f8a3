// The API side of bench/api-rate.sh driven by k6 instead of the Java client, as a cross-check of the client's
// share: VUS virtual users, each POST /image then GET /image/{id}, for DURATION. k6 v0.48, nothing else.
//   k6 run -q -e BASE_URL=http://127.0.0.1:8080 -e VUS=20 -e DURATION=15s bench/api-rate.k6.js
import http from 'k6/http';
import { check } from 'k6';
import { Trend } from 'k6/metrics';

const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const VUS = Number(__ENV.VUS || 20);

export const options = {
  vus: VUS,
  duration: __ENV.DURATION || '15s',
  summaryTrendStats: ['med', 'p(99)'],
};

/** One create+get pair, on the client's clock. */
const pair = new Trend('pair_duration', true);

export default function () {
  const started = Date.now();
  const created = http.post(`${BASE_URL}/image`);
  if (!check(created, { 'POST /image is 201': (r) => r.status === 201 })) {
    return;
  }
  // One name for every id, so that k6 keeps one time series for the step instead of one per image.
  const got = http.get(`${BASE_URL}/image/${created.json('id')}`, { tags: { name: 'GET /image/{id}' } });
  if (check(got, { 'GET /image/{id} is 200': (r) => r.status === 200 })) {
    pair.add(Date.now() - started);
  }
}

/** @param {any} data */
export function handleSummary(data) {
  const p = data.metrics.pair_duration.values;
  const rate = data.metrics.iterations.values.rate;
  return {
    stdout: `k6, ${VUS} VUs: ${rate.toFixed(0)} pairs/s, p50 ${p.med.toFixed(1)} ms, p99 ${p['p(99)'].toFixed(1)} ms, `
      + `${data.metrics.checks.values.fails} failed checks\n`,
  };
}
