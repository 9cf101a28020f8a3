#!/usr/bin/env bash
# The whole worker against its own pipeline: images/s through receive, download, decode/filter/encode/thumbnail,
# two uploads, the conditional commit and the delete, with concurrency = cores, against cores x the pipeline's
# single-core rate on the same photo (issue 8, item 3: at least 0.85x).
#
#   bench/worker-throughput.sh [IMAGES] [WARMUP_IMAGES]      defaults 1000 and 500
#   PROFILE=1 bench/worker-throughput.sh ...                  also records the measured window with JFR
#
# 1. The pipeline alone: PipelineBench (bench/pipeline.sh's Java side) pinned to one core, warm, 30 runs: the
#    mean of its CPU time (the whole JVM's, GC and JIT included, as for the worker) is one core's cost of an image;
#    a mean because /proc counts CPU in 10 ms ticks (a median would be a multiple of 10 ms). Its median wall time is
#    printed too; on a shared machine that includes other processes' turns on the core.
# 2. The emulators in their own JVM (in memory) and the API seed IMAGES jobs (create + upload), then the API stops:
#    the queue holds them all before the worker starts.
# 3. The worker (the product jar, IMAGERY_WORKER_CONCURRENCY = cores; any other IMAGERY_* in the environment is
#    passed on, e.g. IMAGERY_WORKER_MAX_IN_FLIGHT) drains the queue. Timed from its WARMUP_IMAGES-th "processed"
#    log line to its last (JIT warm-up left out), with the CPU time over that window of the worker (by thread), of
#    the emulators and of the whole machine (/proc/stat), so of everything else too.
# The emulators share the cores here, and so do other engineers' builds: the worker is given only the core time
# that neither used, and judged on that:
#   adjusted rate = images / ((cores x wall - emulators' CPU - other processes' CPU) / cores)
#   ratio         = adjusted rate / (cores x 1000 / pipeline CPU ms)
# A worker that leaves cores idle is charged for the idle time; one that keeps them busy is judged on its CPU per
# image. The rate with only the emulators taken off (the first version of this script) is printed beside it.
# The result goes to bench/results/worker-throughput.json as well.
# Env: WORKER_HEAP, the worker's -Xmx (default 1536m, the Kubernetes worker's heap: the memory budget and what
# jobs may hold outside it follow from it); WORKER_JAVA_OPTS, extra JVM flags for the worker; WORKER_JAR, another build of the worker to measure (the
# same run's pipeline and seeding otherwise), e.g. an earlier commit's, for a before/after.
# Needs: built jars (mvn -B -ntp -q package -DskipTests), curl; jcmd and jfr for PROFILE=1. The photo comes from
# mate-backgrounds (apt).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
IMAGES=${1:-1000}
WARMUP=${2:-500}
CORES=$(nproc)
PHOTO=/usr/share/backgrounds/mate/nature/RainDrops.jpg
if [ ! -f "$PHOTO" ] || [ ! -f /usr/share/java/turbojpeg.jar ]; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends mate-backgrounds libturbojpeg-java
fi
WORKER_JAR=${WORKER_JAR:-worker-verticle/target/imagery-worker-all.jar}
for jar in local/target/imagery-local.jar api-verticle/target/imagery-api-all.jar "$WORKER_JAR"; do
  [ -f "$jar" ] || { echo "$jar is missing: run mvn -B -ntp -q package -DskipTests first" >&2; exit 1; }
done
WORK=$(mktemp -d)
cleanup() {
  for pid in ${WORKER_PID:-} ${API_PID:-} ${EMU_PID:-} ${BENCH_PID:-}; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
# utime + stime of a process, in seconds (/proc counts ticks of 1/100 s); the fields after the name in parentheses.
cpu_s() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ printf "%.2f", ($12 + $13) / 100 }'; }
# Busy CPU seconds of the whole machine: all but idle and iowait, from the first line of /proc/stat.
machine_s() { awk '/^cpu / { printf "%.2f", ($2 + $3 + $4 + $7 + $8 + $9) / 100 }' /proc/stat; }
# "name<TAB>seconds" for each thread of a process.
threads_s() {
  for stat in /proc/"$1"/task/*/stat; do cat "$stat" 2>/dev/null || true; done \
    | sed -E 's/^[0-9]+ \((.*)\) (.*)$/\1\t\2/' | awk -F'\t' '{ split($2, f, " "); printf "%s\t%.2f\n", $1, (f[12] + f[13]) / 100 }'
}

# ---- 1. the pipeline alone, one core ----
mvn -B -ntp -o -q -pl worker-verticle -am test-compile | sed 's/\x1b\[[0-9;]*m//g'
mvn -B -ntp -o -q -pl worker-verticle dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$ROOT/target/bench-classpath.txt" >/dev/null
DEPS=$(tr ':' '\n' < target/bench-classpath.txt | grep -v '/imagery-shared-' | paste -sd: -)
CP="worker-verticle/target/classes:worker-verticle/target/test-classes:shared/target/classes:$DEPS"
mkfifo "$WORK/bench.in"
taskset -c 1 java -XX:+UseG1GC -Xmx1g -cp "$CP" dev.imagery.worker.bench.PipelineBench < "$WORK/bench.in" > "$WORK/bench.out" &
BENCH_PID=$!
exec 3>"$WORK/bench.in"
for i in $(seq 50); do echo "run $PHOTO auto" >&3; done
echo "quit" >&3
exec 3>&-
wait "$BENCH_PID" || true
BENCH_PID=
# The first 20 answers are warm-up; the median wall time and the mean CPU time of the other 30.
PIPE_WALL_MS=$(awk '$1 == "ok" { n++; if (n > 20) print $2 / 1000 }' "$WORK/bench.out" | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] }')
PIPE_MS=$(awk '$1 == "ok" { n++; if (n > 20) { sum += $3; m++ } } END { printf "%.1f", sum / m / 1000 }' "$WORK/bench.out")
PIPE_RATE=$(awk -v ms="$PIPE_MS" 'BEGIN { printf "%.2f", 1000 / ms }')
echo "pipeline alone, one core: $(basename "$PHOTO") mean CPU $PIPE_MS ms (median wall $PIPE_WALL_MS ms) -> $PIPE_RATE images/s"

# ---- 2. emulators, then the API seeds the queue ----
for port in 47000 47324 47090 47080 47081 47082; do   # a previous run's processes may still be on their way out
  for i in $(seq 60); do ss -ltn | grep -q ":$port " || break; sleep 0.5; done
done
PORTS="IMAGERY_LOCAL_DYNAMODB_PORT=47000 IMAGERY_LOCAL_SQS_PORT=47324 IMAGERY_LOCAL_S3_PORT=47090"
env $PORTS java -jar local/target/imagery-local.jar --emulators-only > "$WORK/emu.log" 2>&1 &
EMU_PID=$!
until grep -q "servers are up" "$WORK/emu.log" 2>/dev/null; do kill -0 "$EMU_PID" || { cat "$WORK/emu.log"; exit 1; }; sleep 0.2; done
eval "$(grep '^export ' "$WORK/emu.log")"
export IMAGERY_RECONCILE_AFTER_SECONDS=0
# As the chaos tests' services have it: on a loaded machine DynamoDB Local can take seconds to answer a start-up call.
export IMAGERY_DYNAMODB_ATTEMPT_TIMEOUT_MS=${IMAGERY_DYNAMODB_ATTEMPT_TIMEOUT_MS:-10000}
export IMAGERY_DYNAMODB_CALL_TIMEOUT_MS=${IMAGERY_DYNAMODB_CALL_TIMEOUT_MS:-30000}
PORT=47080 IMAGERY_MANAGEMENT_PORT=47081 java -jar api-verticle/target/imagery-api-all.jar > "$WORK/api.log" 2>&1 &
API_PID=$!
until curl -sf http://127.0.0.1:47080/health/ready >/dev/null; do kill -0 "$API_PID" || { cat "$WORK/api.log"; exit 1; }; sleep 0.2; done
seed() {
  local id
  id=$(cat /proc/sys/kernel/random/uuid)
  curl -sf -o /dev/null -X PUT "http://127.0.0.1:47080/image/$id"
  curl -sf -o /dev/null -F "file=@$PHOTO;type=image/jpeg" "http://127.0.0.1:47080/image/$id/upload"
}
export -f seed
export PHOTO
seq "$IMAGES" | xargs -P 4 -I{} bash -c seed
kill "$API_PID"; wait "$API_PID" 2>/dev/null || true; API_PID=
echo "seeded $IMAGES jobs of $(basename "$PHOTO") ($(stat -c %s "$PHOTO") bytes)"

# ---- 3. the worker drains the queue ----
IMAGERY_MANAGEMENT_PORT=47082 IMAGERY_WORKER_CONCURRENCY=$CORES \
  java -Xmx"${WORKER_HEAP:-1536m}" ${WORKER_JAVA_OPTS:-} -jar "$WORKER_JAR" > "$WORK/worker.log" 2>&1 &
WORKER_PID=$!
processed() { grep -c ' processed in ' "$WORK/worker.log" || true; }
until [ "$(processed)" -ge "$WARMUP" ]; do kill -0 "$WORKER_PID" || { tail -30 "$WORK/worker.log"; exit 1; }; sleep 0.05; done
if [ "${PROFILE:-0}" = 1 ]; then
  jcmd "$WORKER_PID" JFR.start name=bench settings=profile filename="$WORK/worker.jfr" > /dev/null
fi
threads_s "$WORKER_PID" > "$WORK/threads0"
T0=$(date +%s.%N); W0=$(cpu_s "$WORKER_PID"); E0=$(cpu_s "$EMU_PID"); M0=$(machine_s); N0=$(processed)
deadline=$(( $(date +%s) + 600 ))
until [ "$(processed)" -ge "$IMAGES" ]; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "not all processed within 10 min" >&2; exit 1; }
  sleep 0.05
done
T1=$(date +%s.%N); W1=$(cpu_s "$WORKER_PID"); E1=$(cpu_s "$EMU_PID"); M1=$(machine_s); N1=$(processed)
threads_s "$WORKER_PID" > "$WORK/threads1"
if [ "${PROFILE:-0}" = 1 ]; then
  jcmd "$WORKER_PID" JFR.stop name=bench > /dev/null
fi
grep -q 'JPEG codec: TurboJPEG' "$WORK/worker.log" && CODEC=TurboJPEG || CODEC=ImageIO
IN_FLIGHT=$(grep -o 'at most [0-9]* jobs in flight' "$WORK/worker.log" | grep -o '[0-9]*' || echo "$CORES")
# Each job's own time, from its start (after the receive) to its commit: AWS round trips plus the pipeline.
JOB_MS=$(grep -o ' processed in [0-9]* ms' "$WORK/worker.log" | awk '{ print $3 }' | tail -n +"$WARMUP" | sort -n \
  | awk '{ a[NR] = $1 } END { printf "%d %d", a[int((NR + 1) / 2)], a[int(NR * 0.9)] }')

# The worker's CPU over the window by kind of thread (thread names as the JVM, Vert.x and the SDK give them).
THREADS=$(awk -F'\t' -v n=$((N1 - N0)) '
  function kind(name) {
    if (name ~ /^imagery-image/) return "image pool"
    if (name ~ /^vert\.x-eventloo/) return "Vert.x event loop"
    if (name ~ /^aws-java-sdk-Ne/) return "SDK Netty I/O"
    if (name ~ /^sdk-async-respo/) return "SDK future completion"
    if (name ~ /Compiler/) return "JIT compilers"
    if (name ~ /^(GC Thread|G1 )/) return "GC"
    return "other"
  }
  FNR == NR { before[$1] += $2; next }
  { after[$1] += $2 }
  END {
    for (t in after) used[kind(t)] += after[t] - before[t]
    for (k in used) printf "%s=%.1f\n", k, 1000 * used[k] / n
  }' "$WORK/threads0" "$WORK/threads1" | sort -t= -k2 -rn)

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
mkdir -p bench/results
awk -v n=$((N1 - N0)) -v t0="$T0" -v t1="$T1" -v w0="$W0" -v w1="$W1" -v e0="$E0" -v e1="$E1" -v m0="$M0" -v m1="$M1" \
    -v cores="$CORES" -v pipe="$PIPE_RATE" -v pipems="$PIPE_MS" -v pipewall="$PIPE_WALL_MS" -v codec="$CODEC" \
    -v jobms="$JOB_MS" -v load="$LOAD" -v inflight="$IN_FLIGHT" -v threads="$THREADS" -v photo="$(basename "$PHOTO")" \
    -v json="bench/results/worker-throughput.json" -v when="$(date -u +%Y-%m-%dT%H:%M:%SZ)" 'BEGIN {
  wall = t1 - t0; wcpu = w1 - w0; ecpu = e1 - e0; others = (m1 - m0) - wcpu - ecpu
  if (others < 0) others = 0
  rate = n / wall
  emu_only = n / ((cores * wall - ecpu) / cores)
  adjusted = n / ((cores * wall - ecpu - others) / cores)
  peer = cores * pipe
  ratio = adjusted / peer
  idle = cores * wall - wcpu - ecpu - others
  split(jobms, j, " ")
  printf "worker (%s, %d pool threads, %d jobs in flight): %d images in %.2f s = %.2f images/s\n", codec, cores, inflight, n, wall, rate
  printf "CPU over the window: worker %.1f s (%.1f ms an image, pipeline alone %.1f ms), emulators %.1f s, other processes %.1f s, idle %.1f s of %.1f\n", wcpu, 1000 * wcpu / n, pipems, ecpu, others, idle, cores * wall
  printf "worker CPU an image by thread (ms):"
  m = split(threads, lines, "\n")
  for (i = 1; i <= m; i++) { split(lines[i], kv, "="); printf " %s %s;", kv[1], kv[2] }
  printf "\n"
  printf "one job, start to commit: median %d ms, p90 %d ms\n", j[1], j[2]
  printf "emulators taken off only: %.2f images/s = %.2fx\n", emu_only, emu_only / peer
  printf "emulators and other processes taken off: %.2f images/s = %.2fx of %d cores x %.2f (target 0.85x: %.2f images/s); CPU-bound ceiling (pipeline CPU / worker CPU an image) %.2fx; load average %s\n", adjusted, ratio, cores, pipe, 0.85 * peer, pipems / (1000 * wcpu / n), load
  printf "{\"name\":\"worker-throughput\",\"ratio\":%.3f,\"target\":0.85,\"peer\":\"%d cores x the pipeline alone on one core (%.2f images/s)\",\"measured_at\":\"%s\",\"details\":{", ratio, cores, peer, when > json
  printf "\"unit\":\"images/s\",\"photo\":\"%s\",\"codec\":\"%s\",\"cores\":%d,\"pool_threads\":%d,\"jobs_in_flight\":%d,\"images\":%d,\"wall_s\":%.2f,\"rate\":%.2f,\"adjusted_rate\":%.2f,\"peer_rate\":%.2f,\"ratio_emulators_only\":%.3f,\"pipeline_cpu_ms\":%.1f,\"pipeline_wall_ms\":%.1f,\"worker_cpu_ms_per_image\":%.1f,\"emulators_cpu_s\":%.1f,\"others_cpu_s\":%.1f,\"idle_s\":%.1f,\"job_median_ms\":%d,\"job_p90_ms\":%d,\"load_average\":\"%s\",\"worker_cpu_ms_per_image_by_thread\":{", photo, codec, cores, cores, inflight, n, wall, rate, adjusted, peer, emu_only / peer, pipems, pipewall, 1000 * wcpu / n, ecpu, others, idle, j[1], j[2], load >> json
  for (i = 1; i <= m; i++) { split(lines[i], kv, "="); printf "%s\"%s\":%s", (i > 1 ? "," : ""), kv[1], kv[2] >> json }
  printf "}}}\n" >> json
}'
echo "written: bench/results/worker-throughput.json"
if [ "${PROFILE:-0}" = 1 ]; then
  echo "the worker's CPU samples over the measured window (Java frames; TurboJPEG's native code is not sampled):"
  bench/jfr-profile.sh "$WORK/worker.jfr" 20 \
    'the image pipeline=dev\.imagery\.worker\.image\.' \
    'AWS SDK, all of it=software\.amazon\.awssdk\.' \
    'SDK signing=signer|Signer|SigV4|Aws4' \
    'SDK checksums=checksums|Checksum|Crc32|CRC32' \
    'SDK marshalling and unmarshalling=protocols\.|[Mm]arshall|JsonNode|jackson' \
    'SDK endpoint and auth-scheme resolution=[Ee]ndpoint|AuthScheme' \
    'SDK interceptors=[Ii]nterceptor' \
    'the download as a blocking stream=InputStreamSubscriber|ResponseInputStream|AbortableInputStream|InputStreamResponseTransformer' \
    'Netty=io\.netty\.' \
    'Vert.x=io\.vertx\.' \
    'logging=ch\.qos\.logback|org\.slf4j' \
    'socket reads and writes=sun\.nio\.ch|epoll|Epoll'
fi
