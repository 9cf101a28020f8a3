# Sourced by the bench/ scripts: each writes what it measured as one JSON file per target into bench/results/
# (BENCH_RESULTS to write elsewhere, e.g. for a trial run), which bench/chart.sh draws into docs/benchmarks.png.
#
#   bench_result NAME RATIO TARGET PEER [KEY=VALUE...]
#
# RATIO is "higher is better", met when RATIO >= TARGET: a speed as Imagery's rate over its peer's (or the peer's
# time over ours), a latency or memory bound as bound / measured (1 = exactly at the bound). PEER says what the
# ratio is taken against. Each KEY=VALUE goes into "details": VALUE as JSON when it parses as JSON (a number, an
# array, an object), as a string otherwise. Keys the chart reads: label (the bar's name), ratio_is (what the ratio
# divides), source (figures copied from a document rather than measured by this run).
# Writes {"name", "ratio", "target", "peer", "measured_at" (UTC, ISO 8601), "load_average" ([1, 5, 15 min] at
# the end of the measurement), "details"}. Needs jq (installed from apt when missing).
bench_result() {
  local name=$1 ratio=$2 target=$3 peer=$4
  shift 4
  if ! command -v jq >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends jq >/dev/null
  fi
  local dir=${BENCH_RESULTS:-bench/results} args=() kv key value
  for kv in "$@"; do
    key=${kv%%=*} value=${kv#*=}
    if jq -n --argjson v "$value" 1 >/dev/null 2>&1; then args+=(--argjson "$key" "$value"); else args+=(--arg "$key" "$value"); fi
  done
  mkdir -p "$dir"
  # A write in two steps, so that a chart drawn meanwhile never reads half a file.
  jq -n --arg name "$name" --argjson ratio "$ratio" --argjson target "$target" --arg peer "$peer" \
    --arg at "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    --argjson load "$(bench_load)" \
    --argjson details "$(jq -n '$ARGS.named' "${args[@]}")" \
    '{name: $name, ratio: $ratio, target: $target, peer: $peer, measured_at: $at, load_average: $load,
      details: $details}' > "$dir/.$name.json.tmp"
  mv "$dir/.$name.json.tmp" "$dir/$name.json"
  echo "result: $dir/$name.json (ratio $ratio, target $target)"
}

# The load average now, as the JSON array bench_result writes: bench_load > "$WORK/load-before".
bench_load() { awk '{ printf "[%s, %s, %s]", $1, $2, $3 }' /proc/loadavg; }
