#!/usr/bin/env bash
# Time from the README's run command to ready, and from upload to `processed` for real photos.
# Photos (real, from Debian packages; see docs/benchmarks.md):
#   2.3 MP  /usr/share/backgrounds/mate/nature/RainDrops.jpg      (mate-backgrounds)
#   13.4 MP /usr/share/backgrounds/Dragonfly_by_Bolly.jpg          (lomiri-wallpapers, progressive)
#           and a pixel-identical baseline copy made with jpegtran (libjpeg-turbo-progs)
#   bench/latency.sh [RUNS]        default 5; installs the packages with apt-get when missing (root)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
SMALL=/usr/share/backgrounds/mate/nature/RainDrops.jpg
LARGE=/usr/share/backgrounds/Dragonfly_by_Bolly.jpg
if [ ! -f "$SMALL" ] || [ ! -f "$LARGE" ] || ! command -v jpegtran >/dev/null; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends mate-backgrounds lomiri-wallpapers libjpeg-turbo-progs
fi
WORK=$(mktemp -d)
jpegtran -copy all "$LARGE" > "$WORK/dragonfly-baseline.jpg"
export IMAGERY_LOCAL_DYNAMODB_PORT=38000 IMAGERY_LOCAL_SQS_PORT=39324 IMAGERY_LOCAL_S3_PORT=39090 PORT=38080
B=http://127.0.0.1:$PORT
cleanup() { [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

START=$(date +%s%N)
java -jar local/target/imagery-local.jar > "$WORK/run.log" 2>&1 &
PID=$!
until grep -q "ready in" "$WORK/run.log"; do kill -0 $PID || { cat "$WORK/run.log"; exit 1; }; sleep 0.05; done
echo "command to ready: $(( ($(date +%s%N) - START) / 1000000 )) ms wall clock ($(grep -o 'ready in [0-9]* ms' "$WORK/run.log") inside the JVM)"

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
measure() {
  local label=$1 file=$2 up=() total=()
  for i in $(seq 0 "$RUNS"); do
    local id t0 t1
    id=$(curl -s -X POST $B/image | sed 's/.*"id":"\([^"]*\)".*/\1/')
    t0=$(date +%s%N)
    curl -s -o /dev/null -F "file=@$file" $B/image/$id/upload
    t1=$(ms "$t0")
    until curl -s $B/image/$id | grep -q '"state":"processed"\|"state":"failed"'; do sleep 0.02; done
    [ "$i" -eq 0 ] && continue   # the first run warms the JIT up
    up+=("$t1"); total+=("$(ms "$t0")")
  done
  printf '%-34s upload %s ms; upload -> processed: %s ms (median %s)\n' "$label" "$(IFS=/; echo "${up[*]}")" \
    "$(IFS=/; echo "${total[*]}")" "$(printf '%s\n' "${total[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
}
measure "2.3 MP JPEG (1.2 MB, baseline)" "$SMALL"
measure "13.4 MP JPEG (progressive)" "$LARGE"
measure "13.4 MP JPEG (baseline copy)" "$WORK/dragonfly-baseline.jpg"
grep -E "processed in" "$WORK/run.log" | tail -3 | sed -E 's/^.*JobProcessor (trace=[0-9a-f]+ )?- /worker: /'
