#!/usr/bin/env bash
# The API's heap under concurrent large uploads, at the default upload memory budget
# (IMAGERY_UPLOAD_MEMORY_BUDGET_BYTES, 80 MiB; IMAGERY_UPLOAD_BUDGET_WAIT_MS, 2 s).
# The emulators run in their own JVM with S3Proxy on disk; the API runs alone with -Xmx512m and
# -XX:+ExitOnOutOfMemoryError, as in its container image, so an out-of-memory shows as a dead process.
# The heap is sampled two ways, in two passes of each step (see start_phase).
#   1. one upload of SIZE_MB (after a 64 MiB warm-up)
#   2. CONCURRENT uploads of SIZE_MB at once; each client retries a 503 after its Retry-After, as a client should
#   3. a flood: FLOOD uploads of FLOOD_MB at once, no retries; half of the clients send Expect: 100-continue
#      (curl's default for large bodies), half send their body at once. Only 202 and 503 may come back.
#
#   bench/upload-concurrency.sh [SIZE_MB] [CONCURRENT] [FLOOD] [FLOOD_MB] [XMX]   defaults: 256 16 200 32 512m
# The API takes IMAGERY_UPLOAD_MEMORY_BUDGET_BYTES and IMAGERY_UPLOAD_BUDGET_WAIT_MS from the environment, so the
# same run without the budget is IMAGERY_UPLOAD_MEMORY_BUDGET_BYTES=1099511627776 bench/upload-concurrency.sh.
# Needs: built jars (mvn -B -ntp -o -q package -DskipTests), curl, jstat and jmap (JDK).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${1:-256}
CONCURRENT=${2:-16}
FLOOD=${3:-200}
FLOOD_MB=${4:-32}
XMX=${5:-512m}
MAX_ATTEMPTS=40
WORK=$(mktemp -d)
PORTS="IMAGERY_LOCAL_DYNAMODB_PORT=28200 IMAGERY_LOCAL_SQS_PORT=29524 IMAGERY_LOCAL_S3_PORT=29290"
API_PORT=28280
API=http://127.0.0.1:$API_PORT
cleanup() {
  [ -n "${JSTAT_PID:-}" ] && kill "$JSTAT_PID" 2>/dev/null || true
  [ -n "${LIVE_PID:-}" ] && kill "$LIVE_PID" 2>/dev/null || true
  [ -n "${API_PID:-}" ] && kill "$API_PID" 2>/dev/null || true
  [ -n "${EMU_PID:-}" ] && kill "$EMU_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# shellcheck source=lib/result.sh
source bench/lib/result.sh
LOAD_BEFORE=$(bench_load)
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
make_file() { { printf '\xff\xd8\xff'; head -c $(( $2 * 1024 * 1024 - 3 )) /dev/urandom; } > "$1"; }
make_file "$WORK/warm.jpg" 64
make_file "$WORK/big.jpg" "$SIZE_MB"
make_file "$WORK/flood.jpg" "$FLOOD_MB"

env $PORTS java -jar local/target/imagery-local.jar --emulators-only --data "$WORK/data" > "$WORK/emu.log" 2>&1 &
EMU_PID=$!
until grep -q "servers are up" "$WORK/emu.log" 2>/dev/null; do kill -0 $EMU_PID || { cat "$WORK/emu.log"; exit 1; }; sleep 0.2; done
eval "$(grep '^export ' "$WORK/emu.log")"
PORT=$API_PORT IMAGERY_MANAGEMENT_PORT=0 IMAGERY_MAX_UPLOAD_BYTES=$(( (SIZE_MB > FLOOD_MB ? (SIZE_MB > 64 ? SIZE_MB : 64) : (FLOOD_MB > 64 ? FLOOD_MB : 64)) * 1048576 + 1048576 )) \
  java -Xmx"$XMX" -XX:+ExitOnOutOfMemoryError \
  -jar api-verticle/target/imagery-api-all.jar > "$WORK/api.log" 2>&1 &
API_PID=$!
until curl -sf "$API/health/ready" >/dev/null; do kill -0 $API_PID || { cat "$WORK/api.log"; exit 1; }; sleep 0.2; done
grep -o 'uploads may hold.*' "$WORK/api.log" | sed 's/^/API: /'

# Two ways of looking at the heap, in two passes of each step, since the second disturbs the first:
#  - "peak used" (jstat, every 200 ms, the collector left alone): what the issue measured. With -Xmx512m G1 lets
#    garbage pile up to a young generation of its own choosing, larger when more is allocated, so this grows with
#    the allocation rate, not only with what is held.
#  - "peak live" (jmap -histo:live every 500 ms, each a full collection): the bytes really held, which the upload
#    budget bounds.
start_phase() {   # $1 name, $2 "live" for the live pass
  ( jstat -gc "$API_PID" 200 > "$WORK/jstat-$1.txt" 2>/dev/null ) &
  JSTAT_PID=$!
  if [ "${2:-}" = live ]; then
    ( while kill -0 "$API_PID" 2>/dev/null; do jmap -histo:live "$API_PID" 2>/dev/null | awk '/^Total/ { print $3 }'; sleep 0.5; done > "$WORK/live-$1.txt" ) &
    LIVE_PID=$!
  fi
}
end_phase() {     # prints the phase's peak used or, for a live pass, its peak live, in MiB
  kill "$JSTAT_PID" 2>/dev/null || true; wait "$JSTAT_PID" 2>/dev/null || true; JSTAT_PID=
  if [ -n "${LIVE_PID:-}" ]; then
    kill "$LIVE_PID" 2>/dev/null || true; wait "$LIVE_PID" 2>/dev/null || true; LIVE_PID=
    sort -n "$WORK/live-$1.txt" | tail -1 | awk '{ printf "%d", $1 / 1048576 }'
  else
    awk 'NR>1 && $1 ~ /^[0-9.]+$/ { u=$3+$4+$6+$8; if (u>m) m=u } END { printf "%d", m / 1024 }' "$WORK/jstat-$1.txt"
  fi
}
alive() { kill -0 "$API_PID" 2>/dev/null && curl -sf "$API/health/live" > /dev/null; }
new_id() { curl -s -X POST "$API/image" | sed 's/.*"id":"\([^"]*\)".*/\1/'; }

# One client: uploads FILE to a new image, retrying each 503 after its Retry-After.
# Writes "first_code last_code attempts seconds" to $2.
upload_retrying() {
  local file=$1 out=$2 id first="" code attempts=0 wait started
  id=$(new_id); started=$(date +%s.%N)
  while :; do
    attempts=$((attempts + 1))
    code=$(curl -s -o "$out.body" -D "$out.head" -w '%{http_code}' -F "file=@$file;filename=big.jpg" "$API/image/$id/upload" || true)
    [ -n "$first" ] || first=$code
    if [ "$code" = 503 ] && [ $attempts -lt $MAX_ATTEMPTS ]; then
      wait=$(awk 'tolower($1) == "retry-after:" { print $2 + 0 }' "$out.head"); sleep "${wait:-5}"; continue
    fi
    break
  done
  echo "$first $code $attempts $(echo "$(date +%s.%N) - $started" | bc)" > "$out"
}

upload_retrying "$WORK/warm.jpg" "$WORK/warm.result"
read -r code _ < "$WORK/warm.result"; [ "$code" = 202 ] || { echo "warm-up upload answered $code"; exit 1; }

# 1. One upload, in both passes.
single() {
  start_phase "single$1" "$1"
  upload_retrying "$WORK/big.jpg" "$WORK/single$1.result"
  end_phase "single$1"
}
SINGLE_USED=$(single ""); SINGLE_LIVE=$(single live)
read -r code _ _ secs < "$WORK/single.result"
echo "1 upload of $SIZE_MB MiB: HTTP $code in $secs s; heap peak used $SINGLE_USED MiB, peak live $SINGLE_LIVE MiB (-Xmx$XMX)"

# 2. Concurrent uploads, retrying clients, in both passes.
concurrent() {
  start_phase "concurrent$1" "$1"
  local started clients=() i
  started=$(date +%s.%N)
  for i in $(seq 1 "$CONCURRENT"); do upload_retrying "$WORK/big.jpg" "$WORK/conc$1-$i.result" & clients+=($!); done
  wait "${clients[@]}"
  echo "$(echo "$(date +%s.%N) - $started" | bc)" > "$WORK/conc$1.elapsed"
  end_phase "concurrent$1"
}
summary() {       # $1: "" or live
  cat "$WORK"/conc"$1"-*.result | awk -v n="$CONCURRENT" -v mb="$SIZE_MB" -v el="$(cat "$WORK/conc$1.elapsed")" '
    { first[$1]++; last[$2]++; att += $3; if ($3 > 1) retried++; if ($3 > maxatt) maxatt = $3 }
    END {
      printf "  first answers"; for (c in first) printf " %dx %s", first[c], c
      printf "; final answers"; for (c in last) printf " %dx %s", last[c], c
      printf "; %d clients retried (%d attempts in all, at most %d for one); all done in %.1f s\n", retried, att, maxatt, el
    }'
}
LOAD_DURING=$(cut -d' ' -f1 /proc/loadavg)
CONC_USED=$(concurrent "")
echo "$CONCURRENT concurrent uploads of $SIZE_MB MiB (retrying each 503 after its Retry-After), load $LOAD_DURING at the start:"
echo "  pass 1: heap peak used $CONC_USED MiB, +$((CONC_USED - SINGLE_USED)) MiB over the single upload's"
summary ""
LOAD_DURING=$(cut -d' ' -f1 /proc/loadavg)
CONC_LIVE=$(concurrent live)
echo "  pass 2: heap peak live $CONC_LIVE MiB, +$((CONC_LIVE - SINGLE_LIVE)) MiB over the single upload's (target: at most +64 MiB); load $LOAD_DURING at the start"
summary live
alive && echo "  API alive" || { echo "  API DEAD"; tail -20 "$WORK/api.log"; exit 1; }

# 3. The flood: no retries, half with Expect: 100-continue, half without.
if [ "$FLOOD" -gt 0 ]; then
  for i in $(seq 1 "$FLOOD"); do echo "$(new_id)"; done > "$WORK/flood-ids"
  start_phase flood
  LOAD_DURING=$(cut -d' ' -f1 /proc/loadavg)
  STARTED=$(date +%s.%N)
  i=0; CLIENTS=()
  while read -r id; do
    i=$((i + 1))
    expect=(); [ $((i % 2)) = 0 ] && expect=(-H 'Expect:')
    ( curl -s -o /dev/null -w '%{http_code}\n' --max-time 300 "${expect[@]}" -F "file=@$WORK/flood.jpg;filename=f.jpg" \
        "$API/image/$id/upload" > "$WORK/flood-$i.code" || true ) &
    CLIENTS+=($!)
  done < "$WORK/flood-ids"
  wait "${CLIENTS[@]}"
  ELAPSED=$(echo "$(date +%s.%N) - $STARTED" | bc)
  FLOOD_USED=$(end_phase flood)
  cat "$WORK"/flood-*.code | sort | uniq -c | awk -v n="$FLOOD" -v mb="$FLOOD_MB" -v el="$ELAPSED" '
    { printf "%s%dx %s", (NR > 1 ? ", " : ""), $1, $2; if ($2 != 202 && $2 != 503) other += $1 } END { printf "\n" }
    BEGIN { printf "flood of %d concurrent uploads of %d MiB, answered in %.1f s: ", n, mb, el }'
  FLOOD_CODES=$(cat "$WORK"/flood-*.code | sort | uniq -c | awk '{ printf "%s\"%s\": %d", (NR > 1 ? ", " : ""), $2, $1 } END { print "" }')
  OTHER=$(cat "$WORK"/flood-*.code | grep -cv '^20[2]$\|^503$' || true)
  echo "  heap peak used $FLOOD_USED MiB (-Xmx$XMX); load at start $LOAD_DURING; answers other than 202/503: $OTHER"
  if alive && ! grep -q OutOfMemoryError "$WORK/api.log"; then echo "  API alive, no OutOfMemoryError"; else echo "  API DEAD or out of memory"; tail -20 "$WORK/api.log"; exit 1; fi
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
# The target (issue 8, item 4): the live heap grows at most 64 MiB over a single upload's during the concurrent
# uploads, at the default budget. The ratio is that bound over the growth measured (a growth under 1 MiB counts 1).
GROWTH=$((CONC_LIVE - SINGLE_LIVE))
NAME=upload-concurrency
[ -z "${IMAGERY_UPLOAD_MEMORY_BUDGET_BYTES:-}" ] || NAME="$NAME-budget-$IMAGERY_UPLOAD_MEMORY_BUDGET_BYTES"
bench_result "$NAME" "$(awk -v g="$GROWTH" 'BEGIN { printf "%.3f", 64 / (g < 1 ? 1 : g) }')" 1 \
  "the bound of issue 8, item 4: live heap growth <= 64 MiB over one upload's" \
  label="upload memory: $CONCURRENT x $SIZE_MB MiB, live heap growth${IMAGERY_UPLOAD_MEMORY_BUDGET_BYTES:+ (budget $IMAGERY_UPLOAD_MEMORY_BUDGET_BYTES bytes)}" ratio_is="64 MiB / the live heap's growth" \
  budget_bytes="${IMAGERY_UPLOAD_MEMORY_BUDGET_BYTES:-default}" xmx="$XMX" \
  single_peak_used_mib="$SINGLE_USED" single_peak_live_mib="$SINGLE_LIVE" \
  concurrent_peak_used_mib="$CONC_USED" concurrent_peak_live_mib="$CONC_LIVE" live_growth_mib="$GROWTH" \
  flood="$( [ "$FLOOD" -gt 0 ] && printf '{"uploads": %d, "mib": %d, "answers": {%s}, "other_than_202_503": %d, "peak_used_mib": %d, "alive": true}' \
    "$FLOOD" "$FLOOD_MB" "$FLOOD_CODES" "$OTHER" "$FLOOD_USED" || echo null)" \
  load_before="$LOAD_BEFORE" command="bench/upload-concurrency.sh${*:+ $*}"
