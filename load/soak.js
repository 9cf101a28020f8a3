// Soak: the flow at a steady RATE for a long DURATION (default 1 h). Proves that nothing degrades with time: no
// leak (memory, connections, file handles), no growing queue, no slow drift. The end-to-end time of the first
// and of the last 10% of the run are kept apart (`window` tag early / late), both held to P95_E2E_MS, and the
// summary prints them side by side: a late p95 well above the early one is drift even when both pass.
import exec from 'k6/execution';
import {
  arrivalVus, checkReady, flowSettings, imageFlow, thresholds, PROCESS_TIMEOUT_S, P95_MS, SUMMARY_TREND_STATS,
} from './lib/flow.js';
import { duration, perMinute, positive } from './lib/env.js';
import { summaryOutputs } from './lib/summary.js';

const RATE = positive('RATE', 1);
const DURATION = duration('DURATION', '1h');
const VUS = arrivalVus(RATE);
const SETTINGS = Object.assign(flowSettings(), {
  RATE, DURATION: DURATION.text, VUS: VUS.preAllocatedVUs, MAX_VUS: VUS.maxVUs,
});

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    soak: {
      executor: 'constant-arrival-rate',
      rate: perMinute(RATE),
      timeUnit: '1m',
      duration: DURATION.text,
      preAllocatedVUs: VUS.preAllocatedVUs,
      maxVUs: VUS.maxVUs,
      gracefulStop: `${PROCESS_TIMEOUT_S + 30}s`,
    },
  },
  thresholds: Object.assign(thresholds(), {
    'flow_upload_to_processed{window:early}': [`p(95)<${P95_MS.e2e}`],
    'flow_upload_to_processed{window:late}': [`p(95)<${P95_MS.e2e}`],
    'flow_errors{window:late}': ['rate<0.001'],
  }),
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export function setup() {
  return checkReady();
}

export default function () {
  const progress = (Date.now() - exec.scenario.startTime) / DURATION.ms;
  const window = progress < 0.1 ? 'early' : progress >= 0.9 ? 'late' : 'middle';
  imageFlow({ tags: { window } });
}

/** @param {any} data */
export function handleSummary(data) {
  return summaryOutputs('soak', SETTINGS, data);
}
