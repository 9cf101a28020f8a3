// The whole client flow of one image, shared by every script:
//   PUT /image/{uuid}                 create, with a client-chosen id (the idempotent create)
//   POST /image/{id}/upload           the photo as multipart/form-data, field `file`; UPLOAD=raw sends
//                                     PUT /image/{id}/upload instead, the photo itself as the body
//   GET /image/{id}?waitFor=final     the API's long poll, repeated until `processed` (`failed` and the deadline are
//                                     errors); WAIT=poll polls GET /image/{id} every POLL_INTERVAL instead
//   GET /image/{id}/result            the sepia JPEG
// Every request carries a `name` tag (create, upload, wait or poll, result, ready...), so that thresholds and the summary
// can speak of one step: http_req_duration{name:upload}. k6 v0.48, no remote imports, no extensions.
import http from 'k6/http';
import { check, sleep } from 'k6';
import crypto from 'k6/crypto';
import exec from 'k6/execution';
import { Counter, Rate, Trend } from 'k6/metrics';
import { count, positive, text } from './env.js';

export const BASE_URL = text('BASE_URL', 'http://127.0.0.1:8080').replace(/\/+$/, '');
const API_KEY = text('API_KEY', '');
/** Seconds from the start of the upload to `processed` before the flow counts as an error. */
export const PROCESS_TIMEOUT_S = positive('PROCESS_TIMEOUT', 120);
const POLL_INTERVAL_S = positive('POLL_INTERVAL', 0.5);
/** `long-poll` (the API answers once the image is final, up to 20 s a request) or `poll` (for older deployments). */
const WAIT = text('WAIT', 'long-poll');
if (WAIT !== 'long-poll' && WAIT !== 'poll') {
  throw new Error(`WAIT must be long-poll or poll, got '${WAIT}'`);
}
/** `multipart` (POST, multipart/form-data: what a browser sends) or `raw` (PUT, the photo as the body). */
const UPLOAD = text('UPLOAD', 'multipart');
if (UPLOAD !== 'multipart' && UPLOAD !== 'raw') {
  throw new Error(`UPLOAD must be multipart or raw, got '${UPLOAD}'`);
}

// open() works only in the init context; every VU holds its own copy of the bytes. open() reads a relative path
// relative to this file (so the default is load/photos/Landscape_0.jpg, 2.2 MP, 342 KiB); a relative PHOTO is
// made absolute from the shell's PWD, so that it means what it says on the command line.
const PHOTO_ARG = text('PHOTO', '');
const PHOTO_PATH = PHOTO_ARG === '' ? '../photos/Landscape_0.jpg'
  : PHOTO_ARG.startsWith('/') || !__ENV.PWD ? PHOTO_ARG
  : `${__ENV.PWD}/${PHOTO_ARG}`;
const PHOTO = open(PHOTO_PATH, 'b');
const PHOTO_NAME = PHOTO_PATH.replace(/^.*\//, '');
/** The raw upload's Content-Type, from the photo's first bytes (the API checks it against them). */
const PHOTO_TYPE = (() => {
  const b = new Uint8Array(PHOTO.slice(0, 4));
  if (b[0] === 0xff && b[1] === 0xd8) return 'image/jpeg';
  if (b[0] === 0x89 && b[1] === 0x50) return 'image/png';
  if (b[0] === 0x47 && b[1] === 0x49) return 'image/gif';
  if (b[0] === 0x42 && b[1] === 0x4d) return 'image/bmp';
  return 'application/octet-stream';
})();

/** What every run was asked to do, for the summaries; each script adds its own settings.
 *  @returns {{[setting: string]: string | number}} */
export function flowSettings() {
  const photo = `${PHOTO_NAME} (${PHOTO.byteLength} bytes)`;
  return WAIT === 'poll'
    ? { BASE_URL, PHOTO: photo, PROCESS_TIMEOUT: PROCESS_TIMEOUT_S, UPLOAD, WAIT, POLL_INTERVAL: POLL_INTERVAL_S }
    : { BASE_URL, PHOTO: photo, PROCESS_TIMEOUT: PROCESS_TIMEOUT_S, UPLOAD, WAIT };
}

/** One sample per flow: 1 when any step of it went wrong (status, body, `failed`, deadline). */
export const flowErrors = new Rate('flow_errors');
/** From the start of the upload request to the answer that said `processed`, on the client's clock. */
export const uploadToProcessed = new Trend('flow_upload_to_processed', true);
/** The same span on the services' clocks (the record's uploadedAt to processedAt): no polling granularity. */
export const serverProcessing = new Trend('flow_server_uploaded_to_processed', true);
export const imagesFailed = new Counter('flow_images_failed');
export const imagesTimedOut = new Counter('flow_images_timed_out');

/** The p95 limits per step, in ms, each overridable (P95_UPLOAD_MS=...). Defaults: see load/README.md. */
export const P95_MS = {
  create: positive('P95_CREATE_MS', 500),
  upload: positive('P95_UPLOAD_MS', 2000),
  poll: positive('P95_POLL_MS', 500),
  result: positive('P95_RESULT_MS', 1000),
  e2e: positive('P95_E2E_MS', 10000),
};

/**
 * The thresholds every script starts from: errors under 0.1% (failed requests and failed flows), p95 per step and
 * end to end. abortOnFail (the stress test) stops the run once a threshold is crossed, after `delay` of data.
 * @param {{abortOnFail?: boolean, delay?: string, e2eMs?: number}} [how]
 * @returns {{[name: string]: import('k6/options').Threshold[]}}
 */
export function thresholds(how = {}) {
  /** @param {string} expression @returns {import('k6/options').Threshold} */
  const rule = (expression) =>
    how.abortOnFail ? { threshold: expression, abortOnFail: true, delayAbortEval: how.delay || '10s' } : expression;
  /** @type {{[name: string]: import('k6/options').Threshold[]}} */
  const all = {
    http_req_failed: [rule('rate<0.001')],
    flow_errors: [rule('rate<0.001')],
    'http_req_duration{name:create}': [rule(`p(95)<${P95_MS.create}`)],
    'http_req_duration{name:upload}': [rule(`p(95)<${P95_MS.upload}`)],
    'http_req_duration{name:result}': [rule(`p(95)<${P95_MS.result}`)],
    flow_upload_to_processed: [rule(`p(95)<${how.e2eMs || P95_MS.e2e}`)],
  };
  if (WAIT === 'poll') {
    all['http_req_duration{name:poll}'] = [rule(`p(95)<${P95_MS.poll}`)];
  } else {
    // A long poll lasts as long as the processing it waits for, which flow_upload_to_processed bounds already; this
    // always-true threshold only makes k6 keep the step's sub-metric for the summary.
    all['http_req_duration{name:wait}'] = ['max>=0'];
  }
  return all;
}

/** The statistics the JSON and text summaries show for every Trend. */
export const SUMMARY_TREND_STATS = ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max', 'count'];

/**
 * VUs for an arrival-rate scenario. Each flow holds its VU for its whole life (upload, processing, download), so
 * k6 needs about rate x flow seconds of them: VUS are made before the start, more while it runs, up to MAX_VUS.
 * @param {number} peakPerSecond
 * @returns {{preAllocatedVUs: number, maxVUs: number}}
 */
export function arrivalVus(peakPerSecond) {
  const pre = count('VUS', Math.max(2, Math.ceil(peakPerSecond * 10)));
  const max = count('MAX_VUS', Math.max(pre, Math.ceil(peakPerSecond * 60)));
  if (max < pre) {
    throw new Error(`MAX_VUS (${max}) must be at least VUS (${pre})`);
  }
  return { preAllocatedVUs: pre, maxVUs: max };
}

/** The request parameters of one step: its `name` tag, and the API key when there is one. @param {string} name */
function params(name) {
  /** @type {{[header: string]: string}} */
  const headers = {};
  if (API_KEY !== '') {
    headers.Authorization = `Bearer ${API_KEY}`;
  }
  return { headers, tags: { name }, timeout: '60s' };
}

/** The upload request, as UPLOAD says: multipart POST, or the photo as the body of a PUT.
 *  @param {string} url the image's URL @param {string} name the step's tag
 *  @returns {import('k6/http').RefinedResponse<any>} */
function upload(url, name) {
  if (UPLOAD === 'raw') {
    const p = params(name);
    p.headers['Content-Type'] = PHOTO_TYPE;
    return http.put(`${url}/upload`, PHOTO, p);
  }
  return http.post(`${url}/upload`, { file: http.file(PHOTO, PHOTO_NAME, 'image/jpeg') }, params(name));
}

/** A random (version 4) UUID, from k6's own crypto module. */
function uuid() {
  const b = new Uint8Array(crypto.randomBytes(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => (x < 16 ? '0' : '') + x.toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** @param {import('k6/http').RefinedResponse<any>} res @returns {any} the JSON object of the body, else {} */
function json(res) {
  try {
    const body = res.json();
    return body !== null && typeof body === 'object' ? body : {};
  } catch (e) {
    return {};
  }
}

let problemsLogged = 0;
/** Logs the first few problems of each VU; the rest are still counted by flow_errors. @param {string} message */
function problem(message) {
  if (problemsLogged < 3) {
    problemsLogged++;
    console.warn(`${message}${problemsLogged === 3 ? ' (this VU logs no more problems)' : ''}`);
  }
}

/** Fails the test at its start when BASE_URL does not answer ready: a wrong URL should not look like an outage. */
export function checkReady() {
  const res = http.get(`${BASE_URL}/health/ready`, params('ready'));
  if (res.status !== 200) {
    const answer = res.status === 0 ? `no answer (${res.error})` : `${res.status}: ${String(res.body).slice(0, 300)}`;
    exec.test.abort(`${BASE_URL}/health/ready: ${answer}. Is BASE_URL right?`);
  }
  return { baseUrl: BASE_URL };
}

/**
 * Runs one image through the whole flow and records it in the flow metrics.
 * @param {{tags?: {[key: string]: string}, idempotency?: boolean}} [how] tags for the flow metrics (the soak
 *   test's `window`); idempotency repeats the create and the upload and expects the same record (the smoke test).
 * @returns {boolean} whether every step went right
 */
export function imageFlow(how = {}) {
  const tags = how.tags || {};
  const ok = runFlow(uuid(), tags, how.idempotency === true);
  flowErrors.add(ok ? 0 : 1, tags);
  return ok;
}

/** @param {string} id @param {{[key: string]: string}} tags @param {boolean} idempotency @returns {boolean} */
function runFlow(id, tags, idempotency) {
  const url = `${BASE_URL}/image/${id}`;

  const created = http.put(url, null, params('create'));
  if (!check(created, { 'create: 201': (r) => r.status === 201 })) {
    problem(`image=${id} create: ${created.status} ${created.error || ''} ${String(created.body).slice(0, 200)}`);
    return false;
  }
  if (idempotency) {
    const again = http.put(url, null, params('create-again'));
    if (!check(again, { 'create again: 200, same id': (r) => r.status === 200 && json(r).id === id })) {
      problem(`image=${id} create again: ${again.status} ${String(again.body).slice(0, 200)}`);
      return false;
    }
  }

  const start = Date.now();
  const uploaded = upload(url, 'upload');
  if (!check(uploaded, { 'upload: 202 uploaded': (r) => r.status === 202 && json(r).state === 'uploaded' })) {
    problem(`image=${id} upload: ${uploaded.status} ${uploaded.error || ''} ${String(uploaded.body).slice(0, 200)}`);
    return false;
  }

  const record = pollUntilDone(id, url, start, tags);
  if (record === null) {
    return false;
  }

  const binary = { responseType: /** @type {const} */ ('binary') };
  const result = http.get(`${url}/result`, Object.assign(params('result'), binary));
  const isJpeg = (/** @type {typeof result} */ r) => {
    const bytes = r.body instanceof ArrayBuffer ? new Uint8Array(r.body) : new Uint8Array(0);
    return r.status === 200 && bytes.length > 2 && bytes[0] === 0xff && bytes[1] === 0xd8;
  };
  if (!check(result, { 'result: 200, a JPEG': isJpeg })) {
    problem(`image=${id} result: ${result.status} ${result.error || ''} ${result.headers['Content-Type'] || ''}`);
    return false;
  }

  if (idempotency) {
    const again = upload(url, 'upload-again');
    const same = (/** @type {typeof again} */ r) => r.status === 202 && json(r).state === 'processed';
    if (!check(again, { 'upload again (same bytes): 202, still processed': same })) {
      problem(`image=${id} upload again: ${again.status} ${String(again.body).slice(0, 200)}`);
      return false;
    }
  }
  return true;
}

/**
 * Waits for the record to be `processed`, `failed` or past the deadline (PROCESS_TIMEOUT after the upload began):
 * with the API's long poll (each request held until the image is final, or up to 20 s), or by polling.
 * @param {string} id @param {string} url @param {number} start @param {{[key: string]: string}} tags
 * @returns {any} the processed record, or null
 */
function pollUntilDone(id, url, start, tags) {
  const deadline = start + PROCESS_TIMEOUT_S * 1000;
  for (;;) {
    let res;
    if (WAIT === 'poll') {
      sleep(POLL_INTERVAL_S);
      res = http.get(url, params('poll'));
    } else {
      const left = Math.max(1, Math.min(20, Math.ceil((deadline - Date.now()) / 1000)));
      res = http.get(`${url}?waitFor=final&timeout=${left}`, params('wait'));
    }
    const record = res.status === 200 ? json(res) : {};
    if (typeof record.state !== 'string') {
      check(res, { [`${WAIT === 'poll' ? 'poll' : 'wait'}: 200`]: () => false });
      problem(`image=${id} ${WAIT}: ${res.status} ${res.error || ''} ${String(res.body).slice(0, 200)}`);
      return null;
    }
    if (record.state === 'processed') {
      uploadToProcessed.add(Date.now() - start, tags);
      const server = Date.parse((record.result || {}).processedAt) - Date.parse((record.original || {}).uploadedAt);
      if (isFinite(server)) {
        serverProcessing.add(server, tags);
      }
      check(record, { 'processed before the deadline': () => true });
      return record;
    }
    if (record.state === 'failed') {
      imagesFailed.add(1, tags);
      check(record, { 'processed before the deadline': () => false });
      problem(`image=${id} failed: ${record.failureReason}`);
      return null;
    }
    if (Date.now() >= deadline) {
      imagesTimedOut.add(1, tags);
      check(record, { 'processed before the deadline': () => false });
      problem(`image=${id} still ${record.state} ${PROCESS_TIMEOUT_S} s after the upload began (PROCESS_TIMEOUT)`);
      return null;
    }
  }
}
