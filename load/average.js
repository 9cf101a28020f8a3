// Average load: the whole flow started at a constant arrival rate (RATE flows per second, for DURATION), whatever
// the response times, as real users arrive. Proves that the deployment serves its expected traffic within the
// thresholds: errors under 0.1%, p95 per step, p95 from upload to processed.
import {
  arrivalVus, checkReady, flowSettings, imageFlow, thresholds, PROCESS_TIMEOUT_S, SUMMARY_TREND_STATS,
} from './lib/flow.js';
import { duration, perMinute, positive } from './lib/env.js';
import { summaryOutputs } from './lib/summary.js';

const RATE = positive('RATE', 2);
const DURATION = duration('DURATION', '5m');
const VUS = arrivalVus(RATE);
const SETTINGS = Object.assign(flowSettings(), {
  RATE, DURATION: DURATION.text, VUS: VUS.preAllocatedVUs, MAX_VUS: VUS.maxVUs,
});

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    average: {
      executor: 'constant-arrival-rate',
      rate: perMinute(RATE),
      timeUnit: '1m',
      duration: DURATION.text,
      preAllocatedVUs: VUS.preAllocatedVUs,
      maxVUs: VUS.maxVUs,
      // A flow started near the end still polls until processed: let it finish rather than cut it.
      gracefulStop: `${PROCESS_TIMEOUT_S + 30}s`,
    },
  },
  thresholds: thresholds(),
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
  return summaryOutputs('average', SETTINGS, data);
}
