#!/usr/bin/env bash
# Heap of the API process while one large file uploads through it to S3.
# The emulators run in their own JVM with S3Proxy on disk (an in-memory S3 would hold the object in the heap we
# measure); the API runs alone with a deliberately small heap. The file is generated while it is sent (never on
# disk), chunked, with a JPEG signature so that it passes the type check.
#
#   bench/upload-memory.sh [SIZE_MB] [API_XMX]     defaults: 500 128m
# Needs: built jars (mvn -B -q package -DskipTests), curl, jstat (JDK).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${1:-500}
XMX=${2:-128m}
WORK=$(mktemp -d)
PORTS="IMAGERY_LOCAL_DYNAMODB_PORT=28000 IMAGERY_LOCAL_SQS_PORT=29324 IMAGERY_LOCAL_S3_PORT=29090"
API_PORT=28080
cleanup() {
  [ -n "${API_PID:-}" ] && kill "$API_PID" 2>/dev/null || true
  [ -n "${EMU_PID:-}" ] && kill "$EMU_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

env $PORTS java -jar local/target/imagery-local.jar --emulators-only --data "$WORK/data" > "$WORK/emu.log" 2>&1 &
EMU_PID=$!
until grep -q "servers are up" "$WORK/emu.log" 2>/dev/null; do kill -0 $EMU_PID || { cat "$WORK/emu.log"; exit 1; }; sleep 0.2; done
eval "$(grep '^export ' "$WORK/emu.log")"
PORT=$API_PORT IMAGERY_MANAGEMENT_PORT=0 IMAGERY_MAX_UPLOAD_BYTES=$(( (SIZE_MB + 10) * 1024 * 1024 )) \
  java -Xmx"$XMX" -jar api-verticle/target/imagery-api-all.jar > "$WORK/api.log" 2>&1 &
API_PID=$!
until curl -sf "http://127.0.0.1:$API_PORT/health/ready" >/dev/null; do kill -0 $API_PID || { cat "$WORK/api.log"; exit 1; }; sleep 0.2; done

heap_kb() { jstat -gc "$API_PID" | awk 'NR==2 { printf "%d", $3+$4+$6+$8 }'; }
rss_kb() { awk '/VmRSS/ { print $2 }' /proc/"$API_PID"/status; }
BEFORE_HEAP=$(heap_kb); BEFORE_RSS=$(rss_kb)

ID=$(curl -s -X POST "http://127.0.0.1:$API_PORT/image" | sed 's/.*"id":"\([^"]*\)".*/\1/')
( jstat -gc "$API_PID" 200 > "$WORK/jstat.txt" ) &
JSTAT_PID=$!
START=$(date +%s.%N)
{ printf '\xff\xd8\xff'; head -c $(( SIZE_MB * 1024 * 1024 - 3 )) /dev/urandom; } \
  | curl -s -o "$WORK/answer.json" -w '%{http_code}' -H 'Transfer-Encoding: chunked' \
      -F "file=@-;filename=big.jpg" "http://127.0.0.1:$API_PORT/image/$ID/upload" > "$WORK/status"
END=$(date +%s.%N)
MAX_RSS=$(rss_kb)
kill $JSTAT_PID 2>/dev/null || true

MAX_HEAP=$(awk 'NR>1 && $1 ~ /^[0-9.]+$/ { u=$3+$4+$6+$8; if (u>m) m=u } END { printf "%d", m }' "$WORK/jstat.txt")
SAMPLES=$(awk 'NR>1 && $1 ~ /^[0-9.]+$/' "$WORK/jstat.txt" | wc -l)
echo "upload: ${SIZE_MB} MB in $(echo "$END - $START" | bc) s, HTTP $(cat "$WORK/status"), stored size $(grep -o '"size":[0-9]*' "$WORK/answer.json")"
echo "API heap: -Xmx$XMX; used before $((BEFORE_HEAP / 1024)) MB; max used during upload $((MAX_HEAP / 1024)) MB ($SAMPLES samples every 200 ms)"
echo "API RSS: before $((BEFORE_RSS / 1024)) MB, after $((MAX_RSS / 1024)) MB"
