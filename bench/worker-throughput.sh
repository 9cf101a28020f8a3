#!/usr/bin/env bash
# The whole worker against its own pipeline: images/s through receive, download, decode/filter/encode/thumbnail,
# two uploads, the conditional commit and the delete, with concurrency = cores, against cores x the pipeline's
# single-core rate on the same photo (issue 8, item 3: at least 0.85x).
#
#   bench/worker-throughput.sh [IMAGES] [WARMUP_IMAGES]      defaults 1000 and 500
#   PROFILE=1 bench/worker-throughput.sh ...                  also records the measured window with JFR
#
# 1. The pipeline alone: PipelineBench (bench/pipeline.sh's Java side) pinned to one core, warm, 30 runs, before the
#    worker and again after it (the machine's load moves in between): the mean of its CPU time over the 60 runs
#    (the whole JVM's, GC and JIT included, as for the worker) is one core's cost of an image; a mean because /proc
#    counts CPU in 10 ms ticks (a median would be a multiple of 10 ms). Its median wall time is printed too; on a
#    shared machine that includes other processes' turns on the core.
# 2. The emulators in their own JVM (in memory) and IMAGES jobs seeded straight into them (SeedJobs: the raw object,
#    the record in "uploaded", the job, as an upload through the API leaves them), so the queue holds them all
#    before the worker starts.
# 3. The worker (the product jar, IMAGERY_WORKER_CONCURRENCY = cores; any other IMAGERY_* in the environment is
#    passed on, e.g. IMAGERY_WORKER_MAX_IN_FLIGHT) drains the queue. Timed from its WARMUP_IMAGES-th "processed"
#    log line to its last (JIT warm-up left out), with the CPU time over that window of the worker (by thread), of
#    the emulators and of the whole machine (/proc/stat), so of everything else too.
# The emulators share the cores here, and so do other engineers' builds: the worker is given only the core time
# that neither used, and judged on that:
#   steady rate = images / ((cores x wall - emulators' CPU - other processes' CPU - the worker's JIT CPU) / cores)
#   ratio       = steady rate / (cores x 1000 / pipeline CPU ms)
# A worker that leaves cores idle is charged for the idle time; one that keeps them busy is judged on its CPU per
# image. (On a loaded machine other processes take the cores a worker leaves idle, and the idle time it should be
# charged with shows as theirs. What shows the overlap of I/O with CPU whatever the load is the image pool's own
# schedule: the share of its threads' time they had an image to work on, on a core or waiting for one.) The JIT compiler
# threads' CPU is warm-up that a worker pays once in its life, but on a loaded machine it is still going on minutes
# in (C2 gets few cycles): it is taken off like the emulators' and printed. The rates with only the emulators taken
# off (the first version of this script), and with the JIT counted, are printed too.
# The result goes to bench/results/worker-throughput.json as well (bench/lib/result.sh, for bench/chart.sh).
# Env: WORKER_HEAP, the worker's -Xmx (default 1536m, the Kubernetes worker's heap: the memory budget and what jobs
# may hold outside it follow from it); WORKER_JAVA_OPTS, extra JVM flags for the worker; WORKER_JAR, another build
# of the worker to measure (e.g. an earlier commit's, for a before/after); PHOTO, another JPEG (default the 2.3 MP
# RainDrops.jpg; /usr/share/backgrounds/Dragonfly_by_Bolly.jpg is a 13.4 MP progressive one).
# Needs: built jars and test classes (mvn -B -ntp -q package -DskipTests); jcmd and jfr for PROFILE=1. The photo
# comes from mate-backgrounds (apt). Ports 47000, 47324, 47090 (the emulators).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
IMAGES=${1:-1000}
WARMUP=${2:-500}
CORES=$(nproc)
PHOTO=${PHOTO:-/usr/share/backgrounds/mate/nature/RainDrops.jpg}
if [ ! -f "$PHOTO" ] || [ ! -f /usr/share/java/turbojpeg.jar ]; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends mate-backgrounds lomiri-wallpapers libturbojpeg-java
fi
WORKER_JAR=${WORKER_JAR:-worker-verticle/target/imagery-worker-all.jar}
for jar in local/target/imagery-local.jar local/target/test-classes/dev/imagery/local/bench/SeedJobs.class "$WORKER_JAR"; do
  [ -f "$jar" ] || { echo "$jar is missing: run mvn -B -ntp -q package -DskipTests first" >&2; exit 1; }
done
WORK=$(mktemp -d)
cleanup() {
  for pid in ${WORKER_PID:-} ${EMU_PID:-} ${BENCH_PID:-}; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
# shellcheck source=lib/result.sh
source bench/lib/result.sh
LOAD_BEFORE=$(bench_load)
# utime + stime of a process, in seconds (/proc counts ticks of 1/100 s); the fields after the name in parentheses.
cpu_s() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ printf "%.2f", ($12 + $13) / 100 }'; }
# Busy CPU seconds of the whole machine: all but idle and iowait, from the first line of /proc/stat.
machine_s() { awk '/^cpu / { printf "%.2f", ($2 + $3 + $4 + $7 + $8 + $9) / 100 }' /proc/stat; }
# "name<TAB>seconds" for each thread of a process.
threads_s() {
  for stat in /proc/"$1"/task/*/stat; do cat "$stat" 2>/dev/null || true; done \
    | sed -E 's/^[0-9]+ \((.*)\) (.*)$/\1\t\2/' | awk -F'\t' '{ split($2, f, " "); printf "%s\t%.2f\n", $1, (f[12] + f[13]) / 100 }'
}

# "on-CPU waiting" seconds of the image pool's threads (/proc/.../schedstat: time on a core, time runnable but
# waiting for one). Their sum is the time the pool had an image to work on, whoever held the core meanwhile.
pool_s() {
  for task in /proc/"$1"/task/*; do
    case $(cat "$task/comm" 2>/dev/null) in imagery-image*) cat "$task/schedstat" 2>/dev/null || true;; esac
  done | awk '{ cpu += $1; wait += $2 } END { printf "%.3f %.3f", cpu / 1e9, wait / 1e9 }'
}

# ---- 1. the pipeline alone, one core ----
mvn -B -ntp -o -q -pl worker-verticle -am test-compile | sed 's/\x1b\[[0-9;]*m//g'
# -am: the dependencies the reactor's poms name (a local repository's imagery-shared pom may be older).
mvn -B -ntp -o -q -pl worker-verticle -am dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$ROOT/target/bench-classpath.txt" >/dev/null
DEPS=$(tr ':' '\n' < target/bench-classpath.txt | grep -v '/imagery-shared-' | paste -sd: -)
CP="worker-verticle/target/classes:worker-verticle/target/test-classes:shared/target/classes:$DEPS"
# 20 warm-up runs, then 30 measured ones, appended to $1 ("ok WALL_US CPU_US ...").
pipeline_alone() {
  rm -f "$WORK/bench.in"; mkfifo "$WORK/bench.in"
  taskset -c 1 java -XX:+UseG1GC -Xmx1g -cp "$CP" dev.imagery.worker.bench.PipelineBench < "$WORK/bench.in" > "$WORK/bench.out" &
  BENCH_PID=$!
  exec 3>"$WORK/bench.in"
  for i in $(seq 50); do echo "run $PHOTO auto" >&3; done
  echo "quit" >&3
  exec 3>&-
  wait "$BENCH_PID" || true
  BENCH_PID=
  awk '$1 == "ok" { n++; if (n > 20) print }' "$WORK/bench.out" >> "$1"
}
pipeline_alone "$WORK/pipeline-before"
mean_cpu_ms() { awk '{ sum += $3; n++ } END { printf "%.1f", sum / n / 1000 }' "$@"; }
echo "pipeline alone, one core, before the worker: $(basename "$PHOTO") mean CPU $(mean_cpu_ms "$WORK/pipeline-before") ms"

# ---- 2. emulators, and the jobs seeded ----
for port in 47000 47324 47090; do   # a previous run's processes may still be on their way out
  for i in $(seq 60); do ss -ltn | grep -q ":$port " || break; sleep 0.5; done
done
PORTS="IMAGERY_LOCAL_DYNAMODB_PORT=47000 IMAGERY_LOCAL_SQS_PORT=47324 IMAGERY_LOCAL_S3_PORT=47090"
env $PORTS java -jar local/target/imagery-local.jar --emulators-only > "$WORK/emu.log" 2>&1 &
EMU_PID=$!
until grep -q "servers are up" "$WORK/emu.log" 2>/dev/null; do kill -0 "$EMU_PID" || { cat "$WORK/emu.log"; exit 1; }; sleep 0.2; done
eval "$(grep '^export ' "$WORK/emu.log")"
export IMAGERY_RECONCILE_AFTER_SECONDS=0
# On a loaded machine DynamoDB Local can take tens of seconds to create the table.
export IMAGERY_DYNAMODB_ATTEMPT_TIMEOUT_MS=${IMAGERY_DYNAMODB_ATTEMPT_TIMEOUT_MS:-30000}
export IMAGERY_DYNAMODB_CALL_TIMEOUT_MS=${IMAGERY_DYNAMODB_CALL_TIMEOUT_MS:-90000}
java -Xmx512m -cp "local/target/test-classes:local/target/classes:local/target/lib/*" dev.imagery.local.bench.SeedJobs \
  "$PHOTO" "$IMAGES" image/jpeg > "$WORK/seed.log" 2>&1 || { cat "$WORK/seed.log"; exit 1; }
echo "seeded $IMAGES jobs of $(basename "$PHOTO") ($(stat -c %s "$PHOTO") bytes)"

# ---- 3. the worker drains the queue ----
# Management ports are left to the system (0): a fixed one in the ephemeral range was once taken meanwhile.
IMAGERY_MANAGEMENT_PORT=0 IMAGERY_WORKER_CONCURRENCY=$CORES \
  java -Xmx"${WORKER_HEAP:-1536m}" ${WORKER_JAVA_OPTS:-} -jar "$WORKER_JAR" > "$WORK/worker.log" 2>&1 &
WORKER_PID=$!
processed() { local n; n=$(grep -c ' processed in ' "$WORK/worker.log" 2>/dev/null) || true; echo "${n:-0}"; }
until [ "$(processed)" -ge "$WARMUP" ]; do kill -0 "$WORKER_PID" || { tail -30 "$WORK/worker.log"; exit 1; }; sleep 0.05; done
if [ "${PROFILE:-0}" = 1 ]; then
  jcmd "$WORKER_PID" JFR.start name=bench settings=profile filename="$WORK/worker.jfr" > /dev/null
fi
threads_s "$WORKER_PID" > "$WORK/threads0"
P0=$(pool_s "$WORKER_PID")
T0=$(date +%s.%N); W0=$(cpu_s "$WORKER_PID"); E0=$(cpu_s "$EMU_PID"); M0=$(machine_s); N0=$(processed)
deadline=$(( $(date +%s) + 600 ))
until [ "$(processed)" -ge "$IMAGES" ]; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "not all processed within 10 min" >&2; exit 1; }
  sleep 0.05
done
T1=$(date +%s.%N); W1=$(cpu_s "$WORKER_PID"); E1=$(cpu_s "$EMU_PID"); M1=$(machine_s); N1=$(processed)
threads_s "$WORKER_PID" > "$WORK/threads1"
P1=$(pool_s "$WORKER_PID")
if [ "${PROFILE:-0}" = 1 ]; then
  jcmd "$WORKER_PID" JFR.stop name=bench > /dev/null
fi
kill "$WORKER_PID"; wait "$WORKER_PID" 2>/dev/null || true; WORKER_PID=
kill "$EMU_PID"; wait "$EMU_PID" 2>/dev/null || true; EMU_PID=
pipeline_alone "$WORK/pipeline-after"
PIPE_WALL_MS=$(awk '{ print $2 / 1000 }' "$WORK/pipeline-before" "$WORK/pipeline-after" | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] }')
PIPE_MS=$(mean_cpu_ms "$WORK/pipeline-before" "$WORK/pipeline-after")
PIPE_RATE=$(awk -v ms="$PIPE_MS" 'BEGIN { printf "%.2f", 1000 / ms }')
echo "pipeline alone, one core, after the worker: mean CPU $(mean_cpu_ms "$WORK/pipeline-after") ms; both: $PIPE_MS ms (median wall $PIPE_WALL_MS ms) -> $PIPE_RATE images/s"
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
JIT_MS=$(printf '%s\n' "$THREADS" | awk -F= '$1 == "JIT compilers" { print $2 }')
awk -v out="$WORK/values" -v n=$((N1 - N0)) -v t0="$T0" -v t1="$T1" -v w0="$W0" -v w1="$W1" -v e0="$E0" -v e1="$E1" -v m0="$M0" -v m1="$M1" \
    -v cores="$CORES" -v pipe="$PIPE_RATE" -v pipems="$PIPE_MS" -v pipewall="$PIPE_WALL_MS" -v codec="$CODEC" \
    -v jobms="$JOB_MS" -v load="$LOAD" -v inflight="$IN_FLIGHT" -v threads="$THREADS" -v jitms="${JIT_MS:-0}" \
    -v photo="$(basename "$PHOTO")" -v heap="${WORKER_HEAP:-1536m}" -v p0="$P0" -v p1="$P1" \
    'BEGIN {
  wall = t1 - t0; wcpu = w1 - w0; ecpu = e1 - e0; others = (m1 - m0) - wcpu - ecpu
  if (others < 0) others = 0
  jit = jitms * n / 1000                 # the worker JVM compiling its code: warm-up, once in its life
  idle = cores * wall - wcpu - ecpu - others
  if (idle < 0) idle = 0
  rate = n / wall
  peer = cores * pipe
  emu_only = n / ((cores * wall - ecpu) / cores)
  counted = n / ((cores * wall - ecpu - others) / cores)
  steady = n / ((cores * wall - ecpu - others - jit) / cores)
  ratio = steady / peer
  split(jobms, j, " ")
  split(p0, pa, " "); split(p1, pb, " ")
  poolbusy = (pb[1] + pb[2] - pa[1] - pa[2]) / (cores * wall)      # the pool had an image to work on
  poolcpu = (pb[1] - pa[1]) / (cores * wall)
  printf "worker (%s, %d pool threads, %d jobs in flight, -Xmx%s): %d images in %.2f s = %.2f images/s\n", codec, cores, inflight, heap, n, wall, rate
  printf "CPU over the window: worker %.1f s (%.1f ms an image, %.1f of it JIT compilation; pipeline alone %.1f ms), emulators %.1f s, other processes %.1f s, idle %.1f s of %.1f\n", wcpu, 1000 * wcpu / n, jitms, pipems, ecpu, others, idle, cores * wall
  printf "worker CPU an image by thread (ms):"
  m = split(threads, lines, "\n")
  for (i = 1; i <= m; i++) { split(lines[i], kv, "="); printf " %s %s;", kv[1], kv[2] }
  printf "\n"
  printf "one job, start to commit: median %d ms, p90 %d ms\n", j[1], j[2]
  printf "image pool: had an image to work on %.0f%% of its %d threads%s time (on a core %.0f%%, waiting for one %.0f%%)\n", 100 * poolbusy, cores, "\047", 100 * poolcpu, 100 * (poolbusy - poolcpu)
  printf "peer: %d cores x %.2f images/s = %.2f images/s (target 0.85x: %.2f)\n", cores, pipe, peer, 0.85 * peer
  printf "  emulators taken off (the first version of this script):  %6.2f images/s = %.2fx\n", emu_only, emu_only / peer
  printf "  and other processes:                                     %6.2f images/s = %.2fx\n", counted, counted / peer
  printf "  and the worker'"'"'s JIT compilation (steady state):            %6.2f images/s = %.2fx   <- the ratio\n", steady, ratio
  printf "  CPU-bound ceiling, pipeline CPU / worker CPU an image less JIT: %.2fx; load average %s\n", pipems / (1000 * wcpu / n - jitms), load
  printf "ratio=%.3f\nimages=%d\nwall_s=%.2f\nimages_per_s=%.2f\nsteady_images_per_s=%.2f\npeer_images_per_s=%.2f\n", ratio, n, wall, rate, steady, peer > out
  printf "ratio_emulators_only=%.3f\nratio_jit_counted=%.3f\nceiling=%.3f\n", emu_only / peer, counted / peer, pipems / (1000 * wcpu / n - jitms) > out
  printf "pipeline_cpu_ms=%.1f\npipeline_wall_ms=%.1f\nworker_cpu_ms_per_image=%.1f\njit_ms_per_image=%.1f\n", pipems, pipewall, 1000 * wcpu / n, jitms > out
  printf "emulators_cpu_s=%.1f\nothers_cpu_s=%.1f\nidle_s=%.1f\njob_median_ms=%d\njob_p90_ms=%d\npool_busy=%.3f\npool_on_cpu=%.3f\n", ecpu, others, idle, j[1], j[2], poolbusy, poolcpu > out
  printf "jobs_in_flight=%d\npool_threads=%d\n", inflight, cores > out
  by = ""
  for (i = 1; i <= m; i++) { split(lines[i], kv, "="); by = by (i > 1 ? "," : "") "\"" kv[1] "\":" kv[2] }
  printf "worker_cpu_ms_per_image_by_thread={%s}\n", by > out
}'
RATIO=$(awk -F= '$1 == "ratio" { print $2 }' "$WORK/values")
mapfile -t DETAILS < <(grep -v '^ratio=' "$WORK/values")
bench_result worker-throughput "$RATIO" 0.85 "$CORES cores x the pipeline alone on one core (PipelineBench, same photo, its CPU time)" \
  label="worker: images/s, $CORES pool threads" \
  ratio_is="worker images/s on the core time the emulators, other processes and its own JIT left / ($CORES x the single-core pipeline rate)" \
  unit="images/s" photo="$PHOTO" jpeg_codec="$CODEC" cores="$CORES" worker_heap="${WORKER_HEAP:-1536m}" \
  "${DETAILS[@]}" load_before="$LOAD_BEFORE" command="bench/worker-throughput.sh${*:+ $*}"
if [ "${PROFILE:-0}" = 1 ]; then
  echo "the worker's CPU samples over the measured window (Java frames; TurboJPEG's native code is not sampled):"
  bench/jfr-profile.sh "$WORK/worker.jfr" 25 \
    'the image pipeline (anywhere on the stack)=^dev\.imagery\.worker\.image\.' \
    'the AWS SDK (anywhere on the stack)=^software\.amazon\.awssdk\.' \
    'SDK signing (anywhere)=^software\.amazon\.awssdk\.(http\.auth\.aws|auth\.signer)' \
    'SDK chunked encoding of uploads (anywhere)=^software\.amazon\.awssdk\.[^(]*[Cc]hunk' \
    'SDK checksums (anywhere)=^software\.amazon\.awssdk\.[^(]*([Cc]hecksum|Crc32|CRC32)' \
    'SDK marshalling and unmarshalling (anywhere)=^software\.amazon\.awssdk\.(protocols|core\.internal\.protocol|thirdparty\.jackson)' \
    'SDK endpoint and auth-scheme resolution (anywhere)=^software\.amazon\.awssdk\.[^(]*([Ee]ndpoint|AuthScheme)' \
    'SDK interceptors (anywhere)=^software\.amazon\.awssdk\.[^(]*[Ii]nterceptor' \
    'self: image pipeline=^dev\.imagery\.worker\.image\.' \
    'self: JDK (arrays, collections, zip, crypto, NIO)=^(java|javax|jdk|sun|com\.sun)\.' \
    'self: AWS SDK=^software\.amazon\.awssdk\.' \
    'self: Netty=^io\.netty\.' \
    'self: Vert.x=^io\.vertx\.' \
    'self: Imagery outside the pipeline=^dev\.imagery\.(worker\.[A-Z]|shared\.)' \
    'self: logging=^(ch\.qos\.logback|org\.slf4j)\.' \
    'self: TurboJPEG binding=^org\.libjpegturbo\.'
fi
