#!/usr/bin/env bash
# Create+get pairs per second through the API (POST /image, then GET /image/{id}) against the same DynamoDB
# operations (the conditional PutItem, the consistent GetItem) sent straight to the same DynamoDB Local with the SDK:
# same client JVM, same concurrency, alternating rounds; then p50/p99 of a pair at 70% of the direct rate.
# The emulators run in their own JVM (DynamoDB Local in memory), the API in another; the client is
# dev.imagery.local.bench.ApiRateBench (test scope), Vert.x's HTTP client for the API and the services' own SDK
# client for DynamoDB.
#
#   bench/api-rate.sh [CONCURRENCY] [ROUNDS] [ROUND_SECONDS] [OPEN_SECONDS] [WARM_UP_SECONDS]   defaults: 20 5 15 30 60
# (about 6 minutes with the defaults)
# Where a k6 binary is found (K6=/path/to/k6, or k6 on PATH), the API side is also driven by k6
# (bench/api-rate.k6.js, the same pairs and concurrency) as a cross-check; without one that step is skipped.
#   API_JAR=... bench/api-rate.sh          another build of the API, for an A/B comparison
#   API_JAVA_OPTS='-XX:StartFlightRecording=filename=/tmp/api.jfr,settings=profile' bench/api-rate.sh
#                                            extra JVM options for the API (a JFR recording to profile it)
# Needs: built jars and test classes (mvn -B -ntp -o -q package -DskipTests), curl.
set -euo pipefail
cd "$(dirname "$0")/.."
CONCURRENCY=${1:-20}
ROUNDS=${2:-5}
ROUND_SECONDS=${3:-15}
OPEN_SECONDS=${4:-30}
WARM_UP_SECONDS=${5:-60}
WORK=$(mktemp -d)
PORTS="IMAGERY_LOCAL_DYNAMODB_PORT=28300 IMAGERY_LOCAL_SQS_PORT=29624 IMAGERY_LOCAL_S3_PORT=29390"
API_PORT=28380
CP="local/target/test-classes:local/target/classes:local/target/lib/*"
cleanup() {
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
# The API at its defaults (it logs no line per create or get), less the per-caller limits: the bench client is one
# caller on one address, and the limits would measure themselves.
PORT=$API_PORT IMAGERY_MANAGEMENT_PORT=0 IMAGERY_CALLER_REQUESTS_PER_SECOND=0 IMAGERY_CALLER_MAX_UPLOADS=0 \
  java -Xmx512m ${API_JAVA_OPTS:-} -jar "${API_JAR:-api-verticle/target/imagery-api-all.jar}" > "$WORK/api.log" 2>&1 &
API_PID=$!
until curl -sf "http://127.0.0.1:$API_PORT/health/ready" >/dev/null; do kill -0 $API_PID || { cat "$WORK/api.log"; exit 1; }; sleep 0.2; done

java -Xmx512m -Dbench.pids=api:$API_PID,emulators:$EMU_PID -cp "$CP" dev.imagery.local.bench.ApiRateBench \
  "http://127.0.0.1:$API_PORT" "$CONCURRENCY" "$ROUNDS" "$ROUND_SECONDS" "$OPEN_SECONDS" "$WARM_UP_SECONDS" \
  | tee "$WORK/bench.out"
# The medians of the rounds, and the constant-rate step's p50/p99 (its "API" line, then "DynamoDB direct"):
#   median: API 1155 pairs/s, DynamoDB direct 1188 pairs/s: ratio 0.97x (target >= 0.8x)
#   at a constant 831 pairs/s (70% of the direct rate), 30 s each:
#     API               831 pairs/s, p50    2.4 ms, p99   15.4 ms, 0 errors...
read -r API_RATE RAW_RATE < <(sed -n 's/^median: API \([0-9.]*\) pairs\/s, DynamoDB direct \([0-9.]*\) pairs\/s.*/\1 \2/p' "$WORK/bench.out")
OPEN_RATE=$(sed -n 's/^at a constant \([0-9.]*\) pairs\/s.*/\1/p' "$WORK/bench.out")
open_line() { awk -v side="$1" '/^at a constant/ { on = 1; next } on && index($0, "  " side " ") == 1 { print; exit }' "$WORK/bench.out"; }
pct() { sed -n "s/.* $1 *\([0-9.]*\) ms.*/\1/p"; }
ROUND_RATES=$(sed -n 's/^round [0-9]*, .*: API *\([0-9]*\) pairs\/s.*DynamoDB direct *\([0-9]*\) pairs\/s.*/[\1, \2]/p' "$WORK/bench.out" | paste -sd, -)
bench_result api-rate "$(awk -v a="$API_RATE" -v r="$RAW_RATE" 'BEGIN { printf "%.3f", a / r }')" 0.8 \
  "the same PutItem + GetItem sent straight to the same DynamoDB Local with the SDK" \
  label="API: POST + GET /image rate" ratio_is="API pairs/s / direct DynamoDB pairs/s (medians of the rounds)" \
  api_pairs_per_s="$API_RATE" direct_pairs_per_s="$RAW_RATE" rounds_api_direct="[$ROUND_RATES]" \
  concurrency="$CONCURRENCY" round_seconds="$ROUND_SECONDS" warm_up_seconds="$WARM_UP_SECONDS" \
  open_rate_pairs_per_s="$OPEN_RATE" \
  open_api_p50_ms="$(open_line API | pct p50)" open_api_p99_ms="$(open_line API | pct p99)" \
  open_direct_p50_ms="$(open_line DynamoDB | pct p50)" open_direct_p99_ms="$(open_line DynamoDB | pct p99)" \
  load_before="$LOAD_BEFORE" command="bench/api-rate.sh${*:+ $*}"
K6=${K6:-$(command -v k6 || true)}
if [ -n "$K6" ] && [ -x "$K6" ]; then
  echo "the API driven by $("$K6" version | head -1), $CONCURRENCY VUs, ${ROUND_SECONDS} s, load $(cut -d' ' -f1 /proc/loadavg):"
  "$K6" run -q -e BASE_URL="http://127.0.0.1:$API_PORT" -e VUS="$CONCURRENCY" -e DURATION="${ROUND_SECONDS}s" bench/api-rate.k6.js
else
  echo "no k6 binary (K6 or k6 on PATH): the k6 cross-check is skipped"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
kill -0 $API_PID
