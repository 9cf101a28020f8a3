// Bounded upload traffic for docker/ci-test.sh: no dependencies (Node 18+: fetch, FormData, Blob).
//
//   node docker/ci/traffic.mjs --apis http://127.0.0.1:8080,http://127.0.0.1:8082 --file photo.jpg \
//        [--count 40] [--concurrency 4] [--deadline-seconds 180] [--bound-seconds B]
//
// Each image gets a client-chosen id, created with PUT /image/{id} and uploaded with POST /image/{id}/upload:
// both are idempotent, so a request that failed (connection error, timeout, 5xx such as 503) is sent again,
// same id and same bytes, to the other API. Requests alternate between the APIs; one that just failed is
// skipped for a second. Prints "accepted N" after each
// 202 (the script watches for it to kill containers mid-traffic), then polls every accepted image until it is
// processed or failed, or the deadline passes, and prints one line:
//   traffic: N accepted, N processed, N failed, N lost, N not accepted, N retries, longest wait W s, N over the
//   bound of B s, in X ms
// where a wait is an image's time in "uploaded": from its upload's uploadedAt to the record's updatedAt once final.
// Exit status 0 only when every image was accepted and processed, and none waited longer than --bound-seconds.
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) =>
  a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]]] : pairs, []));
const apis = (args.apis || '').split(',').filter(Boolean);
const count = Number(args.count || 40);
const concurrency = Number(args.concurrency || 4);
const deadline = Date.now() + 1000 * Number(args['deadline-seconds'] || 180);
const boundMs = 1000 * Number(args['bound-seconds'] || Infinity);
if (apis.length === 0 || !args.file || !(count > 0 && count <= 1000)) {
  console.error('usage: traffic.mjs --apis URL[,URL] --file IMAGE [--count 1..1000] [--concurrency N]');
  process.exit(2);
}
const bytes = readFileSync(args.file);
const fileName = basename(args.file);
const started = Date.now();
let next = 0;      // round-robin over the APIs, shared by all requests
let retries = 0;
// An API that refused a connection or answered 5xx is skipped for a second while another one is not.
const downUntil = new Map();
function pickApi() {
  for (let i = 0; i < apis.length; i++) {
    const base = apis[next++ % apis.length];
    if ((downUntil.get(base) || 0) <= Date.now()) {
      return base;
    }
  }
  return apis[next++ % apis.length];
}
const MAX_ATTEMPTS = 12;

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** One idempotent request, retried on the other API after a connection error, a timeout or a 5xx. */
async function send(method, path, makeBody, okStatuses) {
  let lastError = '';
  for (let attempt = 1; attempt <= MAX_ATTEMPTS && Date.now() < deadline; attempt++) {
    const base = pickApi();
    try {
      const res = await fetch(base + path, { method, body: makeBody ? makeBody() : undefined,
        signal: AbortSignal.timeout(20_000) });
      const text = await res.text();
      if (okStatuses.includes(res.status)) {
        return JSON.parse(text);
      }
      lastError = `${method} ${base}${path}: ${res.status} ${text.slice(0, 200)}`;
      if (res.status < 500) {
        throw new Error(lastError);  // a 4xx is an answer: retrying cannot change it
      }
    } catch (err) {
      if (err.message === lastError) {
        throw err;
      }
      lastError = `${method} ${base}${path}: ${err.cause?.code || err.name}: ${err.message}`;
    }
    retries++;
    downUntil.set(base, Date.now() + 1000);
    // The other API is tried at once; after a full round, a short growing pause (bounded by MAX_ATTEMPTS).
    if (attempt % apis.length === 0) {
      await pause(Math.min(2000, 100 * attempt));
    }
  }
  throw new Error(`gave up: ${lastError}`);
}

const accepted = [];
const notAccepted = [];
async function uploadOne() {
  const id = randomUUID();
  try {
    await send('PUT', `/image/${id}`, null, [200, 201]);
    await send('POST', `/image/${id}/upload`, () => {
      const form = new FormData();
      form.append('file', new Blob([bytes], { type: 'image/jpeg' }), fileName);
      return form;
    }, [202]);
    accepted.push(id);
    console.log(`accepted ${accepted.length}`);
  } catch (err) {
    notAccepted.push(id);
    console.log(`not accepted ${id}: ${err.message}`);
  }
}

let issued = 0;
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (issued < count) {
    issued++;
    await uploadOne();
  }
}));
console.log(`uploads done in ${Date.now() - started} ms: ${accepted.length} accepted`);

const states = new Map();
const waits = new Map();
let pending = [...accepted];
while (pending.length > 0 && Date.now() < deadline) {
  const still = [];
  for (const id of pending) {
    try {
      const record = await send('GET', `/image/${id}`, null, [200]);
      states.set(id, record.state);
      if (record.state === 'failed') {
        console.log(`failed ${id}: ${record.failureReason}`);
      }
      if (record.state !== 'processed' && record.state !== 'failed') {
        still.push(id);
      } else if (record.original) {
        waits.set(id, Date.parse(record.updatedAt) - Date.parse(record.original.uploadedAt));
      }
    } catch (err) {
      still.push(id);
    }
  }
  pending = still;
  if (pending.length > 0) {
    await pause(250);
  }
}
const processed = accepted.filter((id) => states.get(id) === 'processed').length;
const failed = accepted.filter((id) => states.get(id) === 'failed').length;
const lost = accepted.length - processed - failed;
for (const id of pending) {
  console.log(`lost ${id}: ${states.get(id) || 'unknown'}`);
}
const longest = Math.max(0, ...waits.values());
const overBound = [...waits.entries()].filter(([, ms]) => ms > boundMs);
for (const [id, ms] of overBound) {
  console.log(`over the bound ${id}: waited ${ms} ms`);
}
console.log(`traffic: ${accepted.length} accepted, ${processed} processed, ${failed} failed, ${lost} lost, `
  + `${notAccepted.length} not accepted, ${retries} retries, longest wait ${(longest / 1000).toFixed(1)} s, `
  + `${overBound.length} over the bound of ${boundMs / 1000} s, in ${Date.now() - started} ms`);
process.exit(processed === count && overBound.length === 0 ? 0 : 1);
