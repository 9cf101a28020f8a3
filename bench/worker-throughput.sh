#!/usr/bin/env bash
# The whole worker against its own pipeline: images/s through receive, download, decode/filter/encode/thumbnail,
# two uploads, the conditional commit and the delete, with concurrency = cores, against cores x the pipeline's
# single-core rate on the same photo (issue 8, item 3: at least 0.85x).
#
#   bench/worker-throughput.sh [IMAGES] [WARMUP_IMAGES]      defaults 240 and 40
#
# 1. The pipeline alone: PipelineBench (bench/pipeline.sh's Java side) pinned to one core, warm, 30 runs: its
#    median is the single-core rate.
# 2. The emulators in their own JVM (in memory) and the API seed IMAGES jobs (create + upload), then the API stops:
#    the queue holds them all before the worker starts.
# 3. The worker (the product jar, IMAGERY_WORKER_CONCURRENCY = cores) drains the queue. Timed from its
#    WARMUP_IMAGES-th "processed" log line to its last (JIT warm-up left out), with the CPU time of the worker and
#    of the emulators over that window read from /proc. The emulators share the cores here; their CPU time is
#    subtracted from what the worker had: adjusted rate = images / ((cores x wall - emulator CPU) / cores).
# Env: WORKER_JAVA_OPTS, extra JVM flags for the worker (e.g. -XX:StartFlightRecording=filename=/tmp/w.jfr).
# Needs: built jars (mvn -B -ntp -q package -DskipTests), curl. The photo comes from mate-backgrounds (apt).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
IMAGES=${1:-240}
WARMUP=${2:-40}
CORES=$(nproc)
PHOTO=/usr/share/backgrounds/mate/nature/RainDrops.jpg
if [ ! -f "$PHOTO" ] || [ ! -f /usr/share/java/turbojpeg.jar ]; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends mate-backgrounds libturbojpeg-java
fi
for jar in local/target/imagery-local.jar api-verticle/target/imagery-api-all.jar worker-verticle/target/imagery-worker-all.jar; do
  [ -f "$jar" ] || { echo "$jar is missing: run mvn -B -ntp -q package -DskipTests first" >&2; exit 1; }
done
WORK=$(mktemp -d)
cleanup() {
  for pid in ${WORKER_PID:-} ${API_PID:-} ${EMU_PID:-} ${BENCH_PID:-}; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
# shellcheck source=lib/result.sh
source bench/lib/result.sh
LOAD_BEFORE=$(bench_load)
cpu_s() { awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$1/stat"; }   # utime + stime, clock ticks of 1/100 s

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
# The first 20 answers are warm-up; the median wall time of the other 30.
PIPE_MS=$(awk '$1 == "ok" { n++; if (n > 20) print $2 / 1000 }' "$WORK/bench.out" | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] }')
PIPE_RATE=$(awk -v ms="$PIPE_MS" 'BEGIN { printf "%.2f", 1000 / ms }')
echo "pipeline alone, one core: $(basename "$PHOTO") median $PIPE_MS ms -> $PIPE_RATE images/s"

# ---- 2. emulators, then the API seeds the queue ----
PORTS="IMAGERY_LOCAL_DYNAMODB_PORT=47000 IMAGERY_LOCAL_SQS_PORT=47324 IMAGERY_LOCAL_S3_PORT=47090"
env $PORTS java -jar local/target/imagery-local.jar --emulators-only > "$WORK/emu.log" 2>&1 &
EMU_PID=$!
until grep -q "servers are up" "$WORK/emu.log"; do kill -0 "$EMU_PID" || { cat "$WORK/emu.log"; exit 1; }; sleep 0.2; done
eval "$(grep '^export ' "$WORK/emu.log")"
export IMAGERY_RECONCILE_AFTER_SECONDS=0
PORT=47080 IMAGERY_MANAGEMENT_PORT=47081 java -jar api-verticle/target/imagery-api-all.jar > "$WORK/api.log" 2>&1 &
API_PID=$!
until curl -sf http://127.0.0.1:47080/health/ready >/dev/null; do kill -0 "$API_PID" || { cat "$WORK/api.log"; exit 1; }; sleep 0.2; done
for i in $(seq "$IMAGES"); do
  id=$(cat /proc/sys/kernel/random/uuid)
  curl -sf -o /dev/null -X PUT "http://127.0.0.1:47080/image/$id"
  curl -sf -o /dev/null -F "file=@$PHOTO;type=image/jpeg" "http://127.0.0.1:47080/image/$id/upload"
done
kill "$API_PID"; wait "$API_PID" 2>/dev/null || true; API_PID=
echo "seeded $IMAGES jobs of $(basename "$PHOTO") ($(stat -c %s "$PHOTO") bytes)"

# ---- 3. the worker drains the queue ----
IMAGERY_MANAGEMENT_PORT=47082 IMAGERY_WORKER_CONCURRENCY=$CORES \
  java ${WORKER_JAVA_OPTS:-} -jar worker-verticle/target/imagery-worker-all.jar > "$WORK/worker.log" 2>&1 &
WORKER_PID=$!
processed() { grep -c ' processed in ' "$WORK/worker.log" || true; }
until [ "$(processed)" -ge "$WARMUP" ]; do kill -0 "$WORKER_PID" || { tail -30 "$WORK/worker.log"; exit 1; }; sleep 0.02; done
T0=$(date +%s.%N); W0=$(cpu_s "$WORKER_PID"); E0=$(cpu_s "$EMU_PID"); N0=$(processed)
deadline=$(( $(date +%s) + 600 ))
until [ "$(processed)" -ge "$IMAGES" ]; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "not all processed within 10 min" >&2; exit 1; }
  sleep 0.02
done
T1=$(date +%s.%N); W1=$(cpu_s "$WORKER_PID"); E1=$(cpu_s "$EMU_PID"); N1=$(processed)
grep -q 'JPEG codec: TurboJPEG' "$WORK/worker.log" && CODEC=TurboJPEG || CODEC=ImageIO
# Each job's own time, from its start (after the receive) to its commit: AWS round trips plus the pipeline.
JOB_MS=$(grep -o ' processed in [0-9]* ms' "$WORK/worker.log" | awk '{ print $3 }' | tail -n +"$WARMUP" | sort -n \
  | awk '{ a[NR] = $1 } END { printf "median %d ms, p90 %d ms", a[int((NR + 1) / 2)], a[int(NR * 0.9)] }')

awk -v out="$WORK/values" -v n=$((N1 - N0)) -v t0="$T0" -v t1="$T1" -v w0="$W0" -v w1="$W1" -v e0="$E0" -v e1="$E1" -v cores="$CORES" \
    -v pipe="$PIPE_RATE" -v pipems="$PIPE_MS" -v codec="$CODEC" -v jobms="$JOB_MS" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" 'BEGIN {
  wall = t1 - t0; wcpu = w1 - w0; ecpu = e1 - e0
  rate = n / wall
  adjusted = n / ((cores * wall - ecpu) / cores)
  target = 0.85 * cores * pipe
  printf "worker (%s, %d slots): %d images in %.2f s = %.2f images/s; worker CPU %.1f s (%.1f ms an image, pipeline alone %.1f ms), emulators CPU %.1f s\n", codec, cores, n, wall, rate, wcpu, 1000 * wcpu / n, pipems, ecpu
  printf "one job, start to commit: %s\n", jobms
  printf "adjusted for the emulators: %.2f images/s = %.2fx of %d cores x %.2f (target 0.85x: %.2f images/s); load average %s\n", adjusted, adjusted / (cores * pipe), cores, pipe, target, load
  printf "%.3f %d %.2f %.2f %.2f %.1f %.1f %.1f\n", adjusted / (cores * pipe), n, wall, rate, adjusted, wcpu, 1000 * wcpu / n, ecpu > out
}'
read -r RATIO N WALL RATE ADJUSTED WCPU WCPU_MS ECPU < "$WORK/values"
bench_result worker-throughput "$RATIO" 0.85 "$CORES cores x the pipeline alone on one core (PipelineBench, same photo)" \
  label="worker: images/s, $CORES slots" \
  ratio_is="worker images/s (the emulators' CPU taken off) / ($CORES x the single-core pipeline rate)" \
  photo="$PHOTO" jpeg_codec="$CODEC" cores="$CORES" pipeline_ms="$PIPE_MS" pipeline_images_per_s="$PIPE_RATE" \
  images="$N" wall_s="$WALL" images_per_s="$RATE" adjusted_images_per_s="$ADJUSTED" worker_cpu_s="$WCPU" \
  worker_cpu_ms_per_image="$WCPU_MS" emulators_cpu_s="$ECPU" job="$JOB_MS" \
  load_before="$LOAD_BEFORE" command="bench/worker-throughput.sh${*:+ $*}"
