#!/usr/bin/env bash
# Throughput of one large upload through the API, against the same bytes PUT straight to S3 with the SDK.
# The emulators run in their own JVM with S3Proxy on disk; the API runs alone. The baseline is
# dev.imagery.local.bench.DirectS3Upload (test scope): the SDK's multipart client exactly as the API builds it
# (5 MiB parts, 15 MiB of buffer, unknown length), in a JVM of its own with the same heap, kept warm between runs.
# Both read the same file from the page cache: curl -F sends it to the API, the SDK reads it as a stream.
# Runs alternate (API, SDK, SDK with the API's part buffering), after one warm-up run of each.
#
#   bench/upload-throughput.sh [SIZE_MB] [RUNS] [XMX]     defaults: 1024 5 512m
#   PROFILE=1 bench/upload-throughput.sh ...               also records the API with JFR (bench/jfr-profile.sh)
# Needs: built jars and test classes (mvn -B -ntp -o -q package -DskipTests), curl, a JDK (jfr for PROFILE=1).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${1:-1024}
RUNS=${2:-5}
XMX=${3:-512m}
WORK=$(mktemp -d)
PORTS="IMAGERY_LOCAL_DYNAMODB_PORT=28100 IMAGERY_LOCAL_SQS_PORT=29424 IMAGERY_LOCAL_S3_PORT=29190"
API_PORT=28180
API=http://127.0.0.1:$API_PORT
CP="local/target/test-classes:local/target/classes:local/target/lib/*"
cleanup() {
  [ -n "${SDK_PID:-}" ] && kill "$SDK_PID" 2>/dev/null || true
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
FILE=$WORK/big.jpg
{ printf '\xff\xd8\xff'; head -c $(( SIZE_MB * 1024 * 1024 - 3 )) /dev/urandom; } > "$FILE"
cat "$FILE" > /dev/null   # into the page cache: both sides read it from memory

env $PORTS java -jar local/target/imagery-local.jar --emulators-only --data "$WORK/data" > "$WORK/emu.log" 2>&1 &
EMU_PID=$!
until grep -q "servers are up" "$WORK/emu.log" 2>/dev/null; do kill -0 $EMU_PID || { cat "$WORK/emu.log"; exit 1; }; sleep 0.2; done
eval "$(grep '^export ' "$WORK/emu.log")"
JFR=(); SDK_JFR=()
if [ "${PROFILE:-0}" = 1 ]; then
  JFR=(-XX:StartFlightRecording=filename="$WORK/api.jfr",settings=profile)
  SDK_JFR=(-XX:StartFlightRecording=filename="$WORK/sdk.jfr",settings=profile)
fi
PORT=$API_PORT IMAGERY_MANAGEMENT_PORT=0 IMAGERY_MAX_UPLOAD_BYTES=$(( (SIZE_MB + 1) * 1024 * 1024 )) \
  java -Xmx"$XMX" "${JFR[@]}" -jar api-verticle/target/imagery-api-all.jar > "$WORK/api.log" 2>&1 &
API_PID=$!
until curl -sf "$API/health/ready" >/dev/null; do kill -0 $API_PID || { cat "$WORK/api.log"; exit 1; }; sleep 0.2; done

coproc SDK { exec java -Xmx"$XMX" "${SDK_JFR[@]}" -cp "$CP" dev.imagery.local.bench.DirectS3Upload 2>&1; }
SDK_PID=$SDK_PID
# Reads the helper's answer: the first line that starts with a number (or "ready"/"deleted"), past any log line.
answer() { local line; while read -r line <&"${SDK[0]}"; do case $line in [0-9]*|ready|deleted*) echo "$line"; return;; error*) echo "$line" >&2; exit 1;; esac; done; exit 1; }
answer > /dev/null

run_api() {
  local id out
  id=$(curl -s -X POST "$API/image" | sed 's/.*"id":"\([^"]*\)".*/\1/')
  out=$(curl -s -o "$WORK/answer.json" -w '%{http_code} %{time_total}' -F "file=@$FILE;filename=big.jpg" "$API/image/$id/upload")
  [ "${out%% *}" = 202 ] || { echo "API answered ${out%% *}: $(cat "$WORK/answer.json")" >&2; exit 1; }
  grep -q "\"size\":$(stat -c %s "$FILE")" "$WORK/answer.json" || { echo "stored size differs: $(cat "$WORK/answer.json")" >&2; exit 1; }
  echo "delete raw/$id/" >&"${SDK[1]}"; answer > /dev/null
  awk -v t="${out#* }" 'BEGIN { printf "%d", t * 1000 }'
}
run_sdk() {   # $1: put or put-buffered
  local out
  echo "$1 $FILE bench/direct" >&"${SDK[1]}"; out=$(answer)
  echo "delete bench/" >&"${SDK[1]}"; answer > /dev/null
  echo "${out%% *}"
}
# CPU seconds a process has used so far (user + system), to show what each side costs the 2 cores.
cpu() { awk '{ printf "%.2f", ($14 + $15) / 100 }' /proc/"$1"/stat; }
cpu_delta() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
mbs() { awk -v ms="$1" -v mb="$SIZE_MB" 'BEGIN { printf "%.0f", mb / (ms / 1000) }'; }
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

run_api > /dev/null; run_sdk put > /dev/null; run_sdk put-buffered > /dev/null   # warm-up, not counted
A=(); S=(); B=(); LOADS=()
for i in $(seq 1 "$RUNS"); do
  c0=$(cpu $API_PID); e0=$(cpu $EMU_PID)
  a=$(run_api)
  c1=$(cpu $API_PID); e1=$(cpu $EMU_PID); k1=$(cpu $SDK_PID)
  s=$(run_sdk put)
  k2=$(cpu $SDK_PID); e2=$(cpu $EMU_PID)
  b=$(run_sdk put-buffered)
  A+=("$a"); S+=("$s"); B+=("$b"); LOADS+=("$(cut -d' ' -f1 /proc/loadavg)")
  echo "run $i: API $a ms ($(mbs "$a") MB/s), SDK $s ms ($(mbs "$s") MB/s), SDK buffered as the API $b ms ($(mbs "$b") MB/s); load ${LOADS[-1]}"
  echo "  CPU s: API process $(cpu_delta "$c0" "$c1") + S3Proxy $(cpu_delta "$e0" "$e1") | SDK process $(cpu_delta "$k1" "$k2") + S3Proxy $(cpu_delta "$e1" "$e2")"
done
MA=$(median "${A[@]}"); MS=$(median "${S[@]}"); MB=$(median "${B[@]}")
echo "median of $RUNS, $SIZE_MB MiB: API $MA ms ($(mbs "$MA") MB/s), SDK $MS ms ($(mbs "$MS") MB/s), SDK buffered $MB ms ($(mbs "$MB") MB/s)"
awk -v a="$MA" -v s="$MS" -v b="$MB" 'BEGIN { printf "ratio API/SDK %.2fx (target >= 0.9x), API/SDK buffered as the API %.2fx\n", s / a, b / a }'
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg); 1-min load at each run: ${LOADS[*]}"
json_list() { local IFS=,; echo "[$*]"; }
bench_result upload-throughput "$(awk -v a="$MA" -v s="$MS" 'BEGIN { printf "%.3f", s / a }')" 0.9 \
  "the same bytes PUT straight to S3Proxy by the SDK's multipart client (DirectS3Upload)" \
  label="upload: $SIZE_MB MiB through the API" ratio_is="SDK's median time / the API's (throughput API / SDK)" \
  size_mib="$SIZE_MB" runs="$RUNS" xmx="$XMX" api_ms="$(json_list "${A[@]}")" sdk_ms="$(json_list "${S[@]}")" \
  sdk_buffered_ms="$(json_list "${B[@]}")" api_median_ms="$MA" sdk_median_ms="$MS" sdk_buffered_median_ms="$MB" \
  ratio_to_sdk_buffered="$(awk -v a="$MA" -v b="$MB" 'BEGIN { printf "%.3f", b / a }')" \
  load_at_each_run="$(json_list "${LOADS[@]}")" load_before="$LOAD_BEFORE" profile="${PROFILE:-0}" \
  command="bench/upload-throughput.sh${*:+ $*}"
grep -o 'stored [0-9]* bytes .* in [0-9]* ms' "$WORK/api.log" | tail -n "$RUNS" | sed 's/^/API log: /'
if [ "${PROFILE:-0}" = 1 ]; then
  jcmd "$API_PID" JFR.dump filename="$WORK/api.jfr" > /dev/null
  jcmd "$SDK_PID" JFR.dump filename="$WORK/sdk.jfr" > /dev/null
  echo "the API's CPU samples (every run, the warm-up included):"
  bench/jfr-profile.sh "$WORK/api.jfr" 20
  echo "the SDK client's CPU samples (both kinds of run):"
  bench/jfr-profile.sh "$WORK/sdk.jfr" 10
fi
