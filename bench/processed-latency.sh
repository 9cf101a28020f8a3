#!/usr/bin/env bash
# From the upload's 202 to `processed`, seen through ONE long-poll request per image (GET /image/{id}?waitFor=final),
# for IMAGES images of a 2 MP JPEG sent one after another (after WARM_UP images that are not counted).
# Emulators, API and worker each run in their own JVM, at their defaults, as they are deployed; the client is
# dev.imagery.local.bench.ProcessedLatencyBench (test scope, the JDK's HTTP client). The worker's own
# "processed in N ms" lines are summarised too: its share of the span.
# Photo: load/photos/Landscape_0.jpg (1800x1200 = 2.2 MP, 342 KiB, a real photograph: load/photos/SOURCES.md).
#
#   bench/processed-latency.sh [IMAGES] [WARM_UP] [PHOTO]     defaults: 200 10 load/photos/Landscape_0.jpg
#   API_JAR=... bench/processed-latency.sh                      another build of the API, for an A/B comparison
# Needs: built jars and test classes (mvn -B -ntp -o -q package -DskipTests), curl.
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGES=${1:-200}
WARM_UP=${2:-10}
PHOTO=${3:-load/photos/Landscape_0.jpg}
WORK=$(mktemp -d)
PORTS="IMAGERY_LOCAL_DYNAMODB_PORT=28400 IMAGERY_LOCAL_SQS_PORT=29724 IMAGERY_LOCAL_S3_PORT=29490"
API_PORT=28480
CP="local/target/test-classes:local/target/classes:local/target/lib/*"
cleanup() {
  [ -n "${WORKER_PID:-}" ] && kill "$WORKER_PID" 2>/dev/null || true
  [ -n "${API_PID:-}" ] && kill "$API_PID" 2>/dev/null || true
  [ -n "${EMU_PID:-}" ] && kill "$EMU_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
[ -d local/target/test-classes/dev/imagery/local/bench ] || { echo "build first: mvn -B -ntp -o -q package -DskipTests"; exit 1; }

# shellcheck source=lib/result.sh
source bench/lib/result.sh
LOAD_BEFORE=$(bench_load)
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
env $PORTS java -jar local/target/imagery-local.jar --emulators-only > "$WORK/emu.log" 2>&1 &
EMU_PID=$!
until grep -q "servers are up" "$WORK/emu.log" 2>/dev/null; do kill -0 $EMU_PID || { cat "$WORK/emu.log"; exit 1; }; sleep 0.2; done
eval "$(grep '^export ' "$WORK/emu.log")"
# The span breakdown below reads the text format's lines (time first); the jars log JSON by default.
export IMAGERY_LOG_FORMAT=text
PORT=$API_PORT IMAGERY_MANAGEMENT_PORT=0 java -jar "${API_JAR:-api-verticle/target/imagery-api-all.jar}" > "$WORK/api.log" 2>&1 &
API_PID=$!
until curl -sf "http://127.0.0.1:$API_PORT/health/ready" >/dev/null; do kill -0 $API_PID || { cat "$WORK/api.log"; exit 1; }; sleep 0.2; done
IMAGERY_MANAGEMENT_PORT=0 java -jar worker-verticle/target/imagery-worker-all.jar > "$WORK/worker.log" 2>&1 &
WORKER_PID=$!
until grep -q "started in" "$WORK/worker.log" 2>/dev/null; do kill -0 $WORKER_PID || { cat "$WORK/worker.log"; exit 1; }; sleep 0.2; done

java -cp "$CP" dev.imagery.local.bench.ProcessedLatencyBench "http://127.0.0.1:$API_PORT" "$PHOTO" "$IMAGES" "$WARM_UP" \
  | grep -v '^[0-9][0-9]:[0-9][0-9]:' | tee "$WORK/bench.out"
# Where the span goes, from the services' own log lines (one clock: same machine), medians over the measured images:
# the API's "stored" (S3 done) -> "queued" (DynamoDB write and SQS send done), -> the worker's "attempt started"
# (message received, record read, attempt counted), -> "processed in" (S3 get, decode, sepia, encode, thumbnail,
# two S3 puts, the conditional commit).
cat "$WORK/api.log" "$WORK/worker.log" | awk -v n="$IMAGES" '
  function ms(ts) { split(substr(ts, 12, 12), t, ":"); return (t[1] * 3600 + t[2] * 60 + t[3]) * 1000 }
  match($0, /image=[0-9a-f-]+/) { id = substr($0, RSTART + 6, RLENGTH - 6) } !RLENGTH { next }
  / stored [0-9]+ bytes/ { stored[id] = ms($1); order[++k] = id }
  / queued$/ { queued[id] = ms($1) }
  / attempt [0-9]+ started/ { started[id] = ms($1) }
  / processed in [0-9]+ ms/ { done[id] = ms($1) }
  function median(a, m,   i, j, t) {
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return a[int((m + 1) / 2)]
  }
  END {
    for (i = k - n + 1; i <= k; i++) { id = order[i]; if (!(id in done)) continue; m++
      q[m] = queued[id] - stored[id]; r[m] = started[id] - queued[id]; w[m] = done[id] - started[id] }
    printf "  from the logs (medians of %d): stored -> queued %d ms, queued -> worker started %d ms, started -> committed %d ms\n",
      m, median(q, m), median(r, m), median(w, m)
  }' | tee "$WORK/logs.out"
# The target is p50 <= 250 ms from the 202 to processed: the ratio is the bound over the measured p50.
pct() { grep -F "$1" "$WORK/bench.out" | sed -n "s/.* $2 *\([0-9.]*\) ms.*/\1/p"; }
SEEN="202 -> processed seen by one long poll"
P50=$(pct "$SEEN" p50)
split() { sed -n "s/.*$1 \([0-9]*\) ms.*/\1/p" "$WORK/logs.out"; }
bench_result processed-latency "$(awk -v p="$P50" 'BEGIN { printf "%.3f", 250 / p }')" 1 \
  "the bound of issue 8, item 6: p50 <= 250 ms from the upload's 202 to processed" \
  label="latency: 202 -> processed, p50 (2 MP JPEG)" ratio_is="250 ms / the measured p50" \
  images="$IMAGES" warm_up="$WARM_UP" photo="$PHOTO" \
  not_processed="$(sed -n 's/.*, \([0-9]*\) not processed.*/\1/p' "$WORK/bench.out")" \
  p50_ms="$P50" p90_ms="$(pct "$SEEN" p90)" p99_ms="$(pct "$SEEN" p99)" max_ms="$(pct "$SEEN" max)" \
  upload_p50_ms="$(pct "upload request" p50)" upload_p99_ms="$(pct "upload request" p99)" \
  server_p50_ms="$(pct "uploadedAt -> processedAt" p50)" server_p99_ms="$(pct "uploadedAt -> processedAt" p99)" \
  logs_median_ms="$(printf '{"stored_to_queued": %s, "queued_to_worker_started": %s, "started_to_committed": %s}' \
    "$(split 'stored -> queued')" "$(split 'queued -> worker started')" "$(split 'started -> committed')")" \
  load_before="$LOAD_BEFORE" command="bench/processed-latency.sh${*:+ $*}"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
