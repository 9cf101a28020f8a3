#!/usr/bin/env bash
# Throughput of one large upload through the API, against the same bytes PUT straight to S3 with the SDK.
# The emulators run in their own JVM with S3Proxy on disk; the API runs alone. The baseline is
# dev.imagery.local.bench.DirectS3Upload (test scope): the SDK's multipart client exactly as the API builds it
# (5 MiB parts, 15 MiB of buffer, unknown length), in a JVM of its own with the same heap, kept warm between runs.
# All read the same file from the page cache: curl -T PUTs it to the API's raw route (the image as the body),
# curl -F POSTs it as multipart/form-data, the SDK reads it as a stream.
# Runs alternate (API raw, API multipart, SDK, SDK with the API's part buffering), after one warm-up run of each.
# The ratio is the raw route's against the plain SDK (medians); it is written to bench/results/upload-throughput.json
# (bench/lib/result.sh).
#
#   bench/upload-throughput.sh [SIZE_MB] [RUNS] [XMX]     defaults: 1024 5 512m
#   PROFILE=1 bench/upload-throughput.sh ...               also records the API with JFR during the measured runs,
#                                                          one profile per route (bench/jfr-profile.sh), and the SDK
#   BENCH_RESULTS=dir bench/upload-throughput.sh ...       writes the JSON there instead (a trial run)
#   WARMUP=2 bench/upload-throughput.sh ...                warm-up rounds before the measured ones (default 1)
# Besides the wall clock, it reports the CPU each side cost (client + S3Proxy), and their ratio: on a shared machine
# that is the steadier of the two.
# Needs: built jars and test classes (mvn -B -ntp -o -q package -DskipTests), curl, GNU time (/usr/bin/time), a JDK
# (jfr for PROFILE=1).
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
SDK_JFR=()
if [ "${PROFILE:-0}" = 1 ]; then
  # The API is recorded per route, during the measured runs only (profile_start/profile_stop below).
  SDK_JFR=(-XX:StartFlightRecording=filename="$WORK/sdk.jfr",settings=profile)
fi
# Longer DynamoDB timeouts than the defaults: on a loaded machine DynamoDB Local can take more than 10 s to create the table.
PORT=$API_PORT IMAGERY_MANAGEMENT_PORT=0 IMAGERY_MAX_UPLOAD_BYTES=$(( (SIZE_MB + 1) * 1024 * 1024 )) \
  IMAGERY_DYNAMODB_ATTEMPT_TIMEOUT_MS=30000 IMAGERY_DYNAMODB_CALL_TIMEOUT_MS=120000 \
  java -Xmx"$XMX" ${API_OPTS:-} -jar api-verticle/target/imagery-api-all.jar > "$WORK/api.log" 2>&1 &
API_PID=$!
until curl -sf "$API/health/ready" >/dev/null; do kill -0 $API_PID || { cat "$WORK/api.log"; exit 1; }; sleep 0.2; done

coproc SDK { exec java -Xmx"$XMX" "${SDK_JFR[@]}" -cp "$CP" dev.imagery.local.bench.DirectS3Upload 2>&1; }
SDK_PID=$SDK_PID
# Reads the helper's answer: the first line that starts with a number (or "ready"/"deleted"), past any log line.
answer() { local line; while read -r line <&"${SDK[0]}"; do case $line in [0-9]*|ready|deleted*) echo "$line"; return;; error*) echo "$line" >&2; exit 1;; esac; done; exit 1; }
answer > /dev/null

check_answer() {   # $1: curl's "status time"
  [ "${1%% *}" = 202 ] || { echo "API answered ${1%% *}: $(cat "$WORK/answer.json")" >&2; exit 1; }
  grep -q "\"size\":$(stat -c %s "$FILE")" "$WORK/answer.json" || { echo "stored size differs: $(cat "$WORK/answer.json")" >&2; exit 1; }
}
# Runs a command, keeping its CPU seconds (user + system) in $WORK/client.cpu: curl's share of the cores.
timed() { /usr/bin/time -f '%U %S' -o "$WORK/client.time" "$@"; awk '{ printf "%.1f", $1 + $2 }' "$WORK/client.time" > "$WORK/client.cpu"; }
run_api() {   # $1: raw (PUT, the image as the body) or multipart (POST, curl -F)
  local id out
  id=$(curl -s -X POST "$API/image" | sed 's/.*"id":"\([^"]*\)".*/\1/')
  if [ "$1" = raw ]; then
    out=$(timed curl -s -o "$WORK/answer.json" -w '%{http_code} %{time_total}' -T "$FILE" -H 'Content-Type: image/jpeg' "$API/image/$id/upload")
  else
    out=$(timed curl -s -o "$WORK/answer.json" -w '%{http_code} %{time_total}' -F "file=@$FILE;filename=big.jpg" "$API/image/$id/upload")
  fi
  check_answer "$out"
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

# With PROFILE=1, one JFR recording of the API per measured upload, kept by route ($WORK/jfr-raw, $WORK/jfr-multipart).
profile_start() { [ "${PROFILE:-0}" = 1 ] && jcmd "$API_PID" JFR.start name="$1" settings=profile > /dev/null; true; }
profile_stop() {   # $1: route, $2: run
  [ "${PROFILE:-0}" = 1 ] || return 0
  mkdir -p "$WORK/jfr-$1"; jcmd "$API_PID" JFR.stop name="$1" filename="$WORK/jfr-$1/run-$2.jfr" > /dev/null
}

for w in $(seq 1 "${WARMUP:-1}"); do   # warm-up rounds, not counted: the JITs of both JVMs
  run_api raw > /dev/null; run_api multipart > /dev/null; run_sdk put > /dev/null; run_sdk put-buffered > /dev/null
done
R=(); M=(); S=(); B=(); LOADS=(); CPU_R=(); CPU_M=(); CPU_S=(); CPU_E_R=(); CPU_E_M=(); CPU_E_S=(); CURL_R=(); CURL_M=()
for i in $(seq 1 "$RUNS"); do
  profile_start raw
  c0=$(cpu $API_PID); e0=$(cpu $EMU_PID)
  r=$(run_api raw); curl_r=$(cat "$WORK/client.cpu")
  c1=$(cpu $API_PID); e1=$(cpu $EMU_PID)
  profile_stop raw "$i"; profile_start multipart
  c1m=$(cpu $API_PID); e1m=$(cpu $EMU_PID)
  m=$(run_api multipart); curl_m=$(cat "$WORK/client.cpu")
  c2=$(cpu $API_PID); e2=$(cpu $EMU_PID)
  profile_stop multipart "$i"
  e2s=$(cpu $EMU_PID); k2=$(cpu $SDK_PID)
  s=$(run_sdk put)
  k3=$(cpu $SDK_PID); e3=$(cpu $EMU_PID)
  b=$(run_sdk put-buffered)
  R+=("$r"); M+=("$m"); S+=("$s"); B+=("$b"); LOADS+=("$(cut -d' ' -f1 /proc/loadavg)")
  CPU_R+=("$(cpu_delta "$c0" "$c1")"); CPU_M+=("$(cpu_delta "$c1m" "$c2")"); CPU_S+=("$(cpu_delta "$k2" "$k3")")
  CURL_R+=("$curl_r"); CURL_M+=("$curl_m")
  CPU_E_R+=("$(cpu_delta "$e0" "$e1")"); CPU_E_M+=("$(cpu_delta "$e1m" "$e2")"); CPU_E_S+=("$(cpu_delta "$e2s" "$e3")")
  echo "run $i: API raw $r ms ($(mbs "$r") MB/s), API multipart $m ms ($(mbs "$m") MB/s), SDK $s ms ($(mbs "$s") MB/s), SDK buffered as the API $b ms ($(mbs "$b") MB/s); load ${LOADS[-1]}"
  echo "  CPU s: raw: API ${CPU_R[-1]} + curl $curl_r + S3Proxy ${CPU_E_R[-1]} | multipart: API ${CPU_M[-1]} + curl $curl_m + S3Proxy ${CPU_E_M[-1]} | SDK process ${CPU_S[-1]} + S3Proxy ${CPU_E_S[-1]}"
done
MR=$(median "${R[@]}"); MM=$(median "${M[@]}"); MS=$(median "${S[@]}"); MB=$(median "${B[@]}")
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
echo "median of $RUNS, $SIZE_MB MiB: API raw $MR ms ($(mbs "$MR") MB/s), API multipart $MM ms ($(mbs "$MM") MB/s), SDK $MS ms ($(mbs "$MS") MB/s), SDK buffered $MB ms ($(mbs "$MB") MB/s)"
ratio() { awk -v peer="$1" -v api="$2" 'BEGIN { printf "%.2f", peer / api }'; }
echo "ratio API raw/SDK $(ratio "$MS" "$MR")x (target >= 0.9x), raw/SDK buffered as the API $(ratio "$MB" "$MR")x; multipart/SDK $(ratio "$MS" "$MM")x, multipart/SDK buffered $(ratio "$MB" "$MM")x"
# The CPU both sides cost the machine, per run: client (curl + API, or the SDK process) + S3Proxy. On a machine
# shared with other work the wall clock is mostly other people's load; this ratio is what the wall-clock ratio
# tends to on 2 cores that every side keeps busy (it ignores what overlaps).
sum3() { awk -v a="$1" -v b="$2" -v c="$3" 'BEGIN { printf "%.1f", a + b + c }'; }
CR=(); CM=(); CS=()
for i in "${!R[@]}"; do
  CR+=("$(sum3 "${CPU_R[$i]}" "${CURL_R[$i]}" "${CPU_E_R[$i]}")"); CM+=("$(sum3 "${CPU_M[$i]}" "${CURL_M[$i]}" "${CPU_E_M[$i]}")")
  CS+=("$(sum3 "${CPU_S[$i]}" 0 "${CPU_E_S[$i]}")")
done
MCR=$(median "${CR[@]}"); MCM=$(median "${CM[@]}"); MCS=$(median "${CS[@]}")
echo "CPU s per upload (medians): raw route $MCR, multipart route $MCM, SDK $MCS (client + S3Proxy); CPU ratio raw/SDK $(ratio "$MCS" "$MCR")x, multipart/SDK $(ratio "$MCS" "$MCM")x"
echo "load average after: $LOAD_AFTER; 1-min load at each run: ${LOADS[*]}"
json_list() { local IFS=,; echo "[$*]"; }
# Past twice the cores, other work had most of the machine: the wall-clock ratio is then mostly its noise.
BUSY=$(printf '%s\n' "${LOADS[@]}" | awk -v c="$(nproc)" '$1 > 2 * c { busy = 1 } END { print busy ? "true" : "false" }')
bench_result upload-throughput "$(ratio "$MS" "$MR")" 0.9 \
  "SDK PutObject multipart straight to S3Proxy" \
  label="upload: $SIZE_MB MiB through the API (PUT, raw body)" \
  ratio_is="SDK's median time / the raw route's (throughput API / SDK); the multipart route in ratios" \
  api="PUT /image/{id}/upload, the image as the body (curl -T, Content-Length)" \
  size_mib="$SIZE_MB" runs="$RUNS" warmup_rounds="${WARMUP:-1}" xmx="$XMX" cores="$(nproc)" \
  median_ms="{\"api_raw\":$MR,\"api_multipart\":$MM,\"sdk\":$MS,\"sdk_buffered_as_api\":$MB}" \
  ratios="{\"api_raw_vs_sdk\":$(ratio "$MS" "$MR"),\"api_raw_vs_sdk_buffered\":$(ratio "$MB" "$MR"),\"api_multipart_vs_sdk\":$(ratio "$MS" "$MM"),\"api_multipart_vs_sdk_buffered\":$(ratio "$MB" "$MM")}" \
  cpu_ratios="{\"api_raw_vs_sdk\":$(ratio "$MCS" "$MCR"),\"api_multipart_vs_sdk\":$(ratio "$MCS" "$MCM")}" \
  cpu_s_median_total="{\"raw\":$MCR,\"multipart\":$MCM,\"sdk\":$MCS}" \
  runs_ms="{\"api_raw\":$(json_list "${R[@]}"),\"api_multipart\":$(json_list "${M[@]}"),\"sdk\":$(json_list "${S[@]}"),\"sdk_buffered_as_api\":$(json_list "${B[@]}")}" \
  cpu_s="{\"api_process_raw\":$(json_list "${CPU_R[@]}"),\"api_process_multipart\":$(json_list "${CPU_M[@]}"),\"sdk_process\":$(json_list "${CPU_S[@]}"),\"curl_raw\":$(json_list "${CURL_R[@]}"),\"curl_multipart\":$(json_list "${CURL_M[@]}"),\"s3proxy_during_raw\":$(json_list "${CPU_E_R[@]}"),\"s3proxy_during_multipart\":$(json_list "${CPU_E_M[@]}"),\"s3proxy_during_sdk\":$(json_list "${CPU_E_S[@]}")}" \
  load_before="$LOAD_BEFORE" load_at_each_run="$(json_list "${LOADS[@]}")" load_over_twice_the_cores="$BUSY" \
  load_note="when over twice the cores, the wall-clock ratio is mostly other work's noise: read cpu_ratios" \
  profile="${PROFILE:-0}" command="bench/upload-throughput.sh${*:+ $*}"
grep -o 'stored [0-9]* bytes .* in [0-9]* ms' "$WORK/api.log" | tail -n $(( 2 * RUNS )) | sed 's/^/API log: /'
if [ "${PROFILE:-0}" = 1 ]; then
  jcmd "$SDK_PID" JFR.dump filename="$WORK/sdk.jfr" > /dev/null
  for route in raw multipart; do
    jfr assemble "$WORK/jfr-$route" "$WORK/api-$route.jfr" > /dev/null
    echo "the API's CPU samples during the measured $route uploads:"
    bench/jfr-profile.sh "$WORK/api-$route.jfr" 20
  done
  echo "the SDK client's CPU samples (both kinds of run):"
  bench/jfr-profile.sh "$WORK/sdk.jfr" 10
fi
