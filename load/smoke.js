// Smoke: one VU runs the whole flow a few times (ITERATIONS, default 3), with the idempotency checks on top (the
// create and the upload repeated, expecting the same record). Proves that a deployment works end to end before
// any load is put on it; any error fails it. CI runs it against the local stack (load/check.sh).
import { checkReady, imageFlow, thresholds, PROCESS_TIMEOUT_S, SUMMARY_TREND_STATS, flowSettings } from './lib/flow.js';
import { count } from './lib/env.js';
import { summaryOutputs } from './lib/summary.js';

const ITERATIONS = count('ITERATIONS', 3);
const SETTINGS = Object.assign(flowSettings(), { ITERATIONS });

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    smoke: {
      executor: 'per-vu-iterations',
      vus: 1,
      iterations: ITERATIONS,
      maxDuration: `${Math.ceil(ITERATIONS * (PROCESS_TIMEOUT_S + 60))}s`,
    },
  },
  thresholds: Object.assign(thresholds(), { checks: ['rate==1'] }),
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export function setup() {
  return checkReady();
}

export default function () {
  imageFlow({ idempotency: true });
}

/** @param {any} data */
export function handleSummary(data) {
  return summaryOutputs('smoke', SETTINGS, data);
}
