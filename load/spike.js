// Spike: the flow at RATE, then a sudden jump to SPIKE_RATE for SPIKE_DURATION, then back to RATE for RECOVERY.
// Proves that a burst is absorbed: the API's steps stay within their p95 while the job queue takes the backlog,
// nothing fails, and every image of the spike is still processed within PROCESS_TIMEOUT of its upload (the
// end-to-end p95 limit defaults to PROCESS_TIMEOUT here: waiting in the queue is expected during a spike).
import {
  arrivalVus, checkReady, flowSettings, imageFlow, thresholds, PROCESS_TIMEOUT_S, SUMMARY_TREND_STATS,
} from './lib/flow.js';
import { duration, perMinute, positive } from './lib/env.js';
import { summaryOutputs } from './lib/summary.js';

const RATE = positive('RATE', 2);
const SPIKE_RATE = positive('SPIKE_RATE', RATE * 5);
const BEFORE = duration('BEFORE', '1m');
const SPIKE_DURATION = duration('SPIKE_DURATION', '1m');
const RECOVERY = duration('RECOVERY', '3m');
const E2E_MS = positive('P95_E2E_MS', PROCESS_TIMEOUT_S * 1000);
const VUS = arrivalVus(SPIKE_RATE);
const SETTINGS = Object.assign(flowSettings(), {
  RATE, SPIKE_RATE, BEFORE: BEFORE.text, SPIKE_DURATION: SPIKE_DURATION.text, RECOVERY: RECOVERY.text,
  VUS: VUS.preAllocatedVUs, MAX_VUS: VUS.maxVUs,
});

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    spike: {
      executor: 'ramping-arrival-rate',
      startRate: perMinute(RATE),
      timeUnit: '1m',
      stages: [
        { target: perMinute(RATE), duration: BEFORE.text },
        { target: perMinute(SPIKE_RATE), duration: '10s' },
        { target: perMinute(SPIKE_RATE), duration: SPIKE_DURATION.text },
        { target: perMinute(RATE), duration: '10s' },
        { target: perMinute(RATE), duration: RECOVERY.text },
      ],
      preAllocatedVUs: VUS.preAllocatedVUs,
      maxVUs: VUS.maxVUs,
      gracefulStop: `${PROCESS_TIMEOUT_S + 30}s`,
    },
  },
  thresholds: thresholds({ e2eMs: E2E_MS }),
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export function setup() {
  return checkReady();
}

export default function () {
  imageFlow();
}

/** @param {any} data */
export function handleSummary(data) {
  return summaryOutputs('spike', SETTINGS, data);
}
