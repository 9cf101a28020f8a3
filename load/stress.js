// Stress: the arrival rate climbs from START_RATE to MAX_RATE in STEPS steps, each held for STEP_DURATION, and the
// run stops once a threshold is crossed (abortOnFail, after 30 s of data): errors over 0.1%, a step's p95 over its
// limit, or the p95 from upload to processed over P95_E2E_MS, the sign that the workers no longer keep up and the
// queue grows. Proves where the deployment's limit is: the summary prints the rate reached and the rate at the
// first error. A run that reaches MAX_RATE with every threshold passing means: raise MAX_RATE.
import exec from 'k6/execution';
import { Gauge } from 'k6/metrics';
import {
  arrivalVus, checkReady, flowSettings, imageFlow, thresholds, SUMMARY_TREND_STATS,
} from './lib/flow.js';
import { count, duration, perMinute, positive } from './lib/env.js';
import { summaryOutputs } from './lib/summary.js';

const START_RATE = positive('START_RATE', 1);
const MAX_RATE = positive('MAX_RATE', 20);
const STEPS = count('STEPS', 10);
const STEP_DURATION = duration('STEP_DURATION', '1m');
const RAMP_MS = 10000;
const VUS = arrivalVus(MAX_RATE);
const SETTINGS = Object.assign(flowSettings(), {
  START_RATE, MAX_RATE, STEPS, STEP_DURATION: STEP_DURATION.text, VUS: VUS.preAllocatedVUs, MAX_VUS: VUS.maxVUs,
});

/** Each step: a 10 s ramp to its rate, then STEP_DURATION at it. Rates per minute.
 *  @type {import('k6/options').Stage[]} */
const STAGES = [];
for (let i = 1; i <= STEPS; i++) {
  const target = perMinute(START_RATE + ((MAX_RATE - START_RATE) * i) / STEPS);
  STAGES.push({ target, duration: `${RAMP_MS / 1000}s` }, { target, duration: STEP_DURATION.text });
}

/** The target arrival rate (flows per minute) at this moment of the scenario. Gauges keep min and max. */
const rateReached = new Gauge('stress_rate_reached');
const rateAtError = new Gauge('stress_rate_at_first_error');

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    stress: {
      executor: 'ramping-arrival-rate',
      startRate: perMinute(START_RATE),
      timeUnit: '1m',
      stages: STAGES,
      preAllocatedVUs: VUS.preAllocatedVUs,
      maxVUs: VUS.maxVUs,
      gracefulStop: '30s',
    },
  },
  thresholds: thresholds({ abortOnFail: true, delay: '30s' }),
  summaryTrendStats: SUMMARY_TREND_STATS,
};

/** Interpolates the stages at `elapsedMs` since the scenario began, as ramping-arrival-rate does.
 *  @param {number} elapsedMs */
function targetAt(elapsedMs) {
  let from = perMinute(START_RATE);
  let t = 0;
  for (let i = 0; i < STAGES.length; i++) {
    const length = i % 2 === 0 ? RAMP_MS : STEP_DURATION.ms;
    if (elapsedMs < t + length) {
      return from + ((STAGES[i].target - from) * (elapsedMs - t)) / length;
    }
    t += length;
    from = STAGES[i].target;
  }
  return from;
}

export function setup() {
  return checkReady();
}

export default function () {
  const rate = targetAt(Date.now() - exec.scenario.startTime);
  rateReached.add(rate);
  if (!imageFlow()) {
    rateAtError.add(rate);
  }
}

/** @param {any} data */
export function handleSummary(data) {
  return summaryOutputs('stress', SETTINGS, data);
}
