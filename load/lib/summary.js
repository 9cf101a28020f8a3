// handleSummary for every script: the whole summary as JSON in a file (SUMMARY_PATH, by default
// load/results/<script>-summary.json, relative to the directory k6 runs in), and a short plain-text summary on
// stdout. Our own small formatter: no remote import (the usual jslib textSummary is fetched over the network).
import { text } from './env.js';

/**
 * @typedef {{type: string, contains: string, values: {[stat: string]: number},
 *            thresholds?: {[expression: string]: {ok: boolean}}}} SummaryMetric
 * @typedef {{name: string, passes: number, fails: number}} SummaryCheck
 * @typedef {{checks: SummaryCheck[], groups: SummaryGroup[]}} SummaryGroup
 * @typedef {{metrics: {[name: string]: SummaryMetric}, root_group: SummaryGroup,
 *            state: {testRunDurationMs: number}}} SummaryData
 */

/** The rows of the step table: a metric (or a step's sub-metric) and its label. */
const STEPS = [
  ['http_req_duration{name:create}', 'create      PUT /image/{id}'],
  ['http_req_duration{name:upload}', 'upload      POST /image/{id}/upload'],
  ['http_req_duration{name:wait}', 'wait        GET /image/{id}?waitFor'],
  ['http_req_duration{name:poll}', 'poll        GET /image/{id}'],
  ['http_req_duration{name:result}', 'result      GET /image/{id}/result'],
  ['flow_upload_to_processed', 'upload start -> processed (client)'],
  ['flow_server_uploaded_to_processed', 'uploadedAt -> processedAt (server)'],
  ['flow_upload_to_processed{window:early}', 'upload -> processed, first 10%'],
  ['flow_upload_to_processed{window:late}', 'upload -> processed, last 10%'],
];
const STATS = ['avg', 'med', 'p(90)', 'p(95)', 'p(99)', 'max', 'count'];

/**
 * The handleSummary outputs of one script.
 * @param {string} script the script's name (smoke, average, ...)
 * @param {{[setting: string]: string | number}} settings what the run was asked to do, kept in the JSON
 * @param {any} data k6's summary object
 * @returns {{[output: string]: string}}
 */
export function summaryOutputs(script, settings, data) {
  const path = text('SUMMARY_PATH', `load/results/${script}-summary.json`);
  const json = JSON.stringify(Object.assign({ imagery: { script, settings } }, data), null, 2);
  return { stdout: textSummary(script, settings, /** @type {SummaryData} */ (data), path), [path]: json };
}

/** @param {string} script @param {{[setting: string]: string | number}} settings @param {SummaryData} data
 *  @param {string} path @returns {string} */
export function textSummary(script, settings, data, path) {
  const m = data.metrics;
  const lines = [];
  const seconds = (data.state.testRunDurationMs / 1000).toFixed(1);
  const asked = Object.entries(settings).map(([k, v]) => `${k}=${v}`);
  lines.push('', `imagery ${script}: ${seconds} s`, `settings: ${asked.join(' ')}`);

  const flows = value(m, 'flow_errors', 'passes') + value(m, 'flow_errors', 'fails');
  const failedFlows = value(m, 'flow_errors', 'passes');
  lines.push(
    `flows: ${flows} run, ${failedFlows} with an error (${percent(value(m, 'flow_errors', 'rate'))}), ` +
      `${value(m, 'flow_images_failed', 'count')} images failed, ` +
      `${value(m, 'flow_images_timed_out', 'count')} timed out, ` +
      `${value(m, 'dropped_iterations', 'count')} not started (dropped_iterations)`,
  );
  lines.push(
    `requests: ${value(m, 'http_reqs', 'count')} (${value(m, 'http_reqs', 'rate').toFixed(2)}/s), ` +
      `${value(m, 'http_req_failed', 'passes')} failed (${percent(value(m, 'http_req_failed', 'rate'))}); ` +
      `iterations ${value(m, 'iterations', 'count')} (${value(m, 'iterations', 'rate').toFixed(2)}/s)` +
      (m.vus_max ? `; VUs max ${value(m, 'vus_max', 'max')}` : ''),
  );
  // The stress test's gauges, in flows per minute: the highest rate it reached, the lowest at which a flow failed.
  const gauges = [['stress_rate_reached', 'max', 'arrival rate reached'],
    ['stress_rate_at_first_error', 'min', 'arrival rate at the first flow error']];
  for (const [name, stat, label] of gauges) {
    if (m[name]) {
      lines.push(`${label}: ${(value(m, name, stat) / 60).toFixed(2)} flows/s`);
    }
  }

  const checks = allChecks(data.root_group);
  const failing = checks.filter((c) => c.fails > 0);
  const passes = checks.reduce((n, c) => n + c.passes, 0);
  const fails = checks.reduce((n, c) => n + c.fails, 0);
  lines.push(`checks: ${passes} passed, ${fails} failed`);
  for (const c of failing) {
    lines.push(`  FAIL ${c.name}: ${c.fails} of ${c.passes + c.fails}`);
  }

  lines.push('', `${pad('ms', 38)}${STATS.map((s) => pad(s, 9, true)).join('')}`);
  for (const [name, label] of STEPS) {
    if (m[name]) {
      const row = STATS.map((s) => pad(value(m, name, s).toFixed(0), 9, true));
      lines.push(`${pad(label, 38)}${row.join('')}`);
    }
  }

  lines.push('', 'thresholds:');
  let failed = 0;
  for (const name of Object.keys(m).sort()) {
    for (const [expression, result] of Object.entries(m[name].thresholds || {})) {
      failed += result.ok ? 0 : 1;
      const verdict = result.ok ? 'ok  ' : 'FAIL';
      lines.push(`  ${verdict} ${pad(name, 40)} ${pad(expression, 16)} ${observed(m[name], expression)}`);
    }
  }
  lines.push(failed === 0 ? 'all thresholds passed' : `${failed} threshold(s) FAILED`, `summary JSON: ${path}`, '');
  return lines.join('\n');
}

/** @param {SummaryGroup} group @returns {SummaryCheck[]} */
function allChecks(group) {
  return group.checks.concat(...group.groups.map(allChecks));
}

/** @param {{[name: string]: SummaryMetric}} metrics @param {string} name @param {string} stat @returns {number} */
function value(metrics, name, stat) {
  const metric = metrics[name];
  return metric && typeof metric.values[stat] === 'number' ? metric.values[stat] : 0;
}

/** The value a threshold expression was judged on, e.g. "p(95)<2000" -> the metric's p(95).
 *  @param {SummaryMetric} metric @param {string} expression */
function observed(metric, expression) {
  const stat = expression.replace(/\s*[<>=!].*$/, '');
  const v = metric.values[stat];
  if (typeof v !== 'number') {
    return '';
  }
  return stat === 'rate' ? `was ${percent(v)}` : `was ${v.toFixed(metric.contains === 'time' ? 0 : 2)}`;
}

/** @param {number} rate */
function percent(rate) {
  return `${(rate * 100).toFixed(2)}%`;
}

/** @param {string} s @param {number} width @param {boolean} [right] */
function pad(s, width, right) {
  const fill = ' '.repeat(Math.max(0, width - s.length));
  return right ? fill + s : s + fill;
}
