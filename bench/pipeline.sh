#!/usr/bin/env bash
# The image pipeline against sharp, side by side on one core: the same files, the same work (decode, the sepia
# matrix, encode the result, a 256 px JPEG thumbnail of the sepia raster), both processes warm, runs alternated.
#
#   bench/pipeline.sh [RUNS] [WARMUP]      defaults 15 and 20 per photo and side
#
# Env: BENCH_CPU (default 1): the core both processes are pinned to (taskset); BENCH_SKIP_BUILD=1: use the
# classes already compiled; SHARP_PNG_LEVEL (default 6, sharp's default): sharp's zlib level for PNG output;
# BENCH_JAVA_OPTS: extra JVM flags; IMAGERY_JPEG_CODEC=imageio: the ImageIO path even where TurboJPEG is installed.
#
# Photos (real, from Debian packages, installed with apt-get when missing; see docs/benchmarks.md):
#   13.4 MP /usr/share/backgrounds/Dragonfly_by_Bolly.jpg      (lomiri-wallpapers; progressive, 4:2:2, q85)
#           its pixel-identical baseline copy (jpegtran, libjpeg-turbo-progs), and the same pixels as a PNG
#           (written by the JDK's PNG writer, through PipelineBench --to-png)
#   2.3 MP  /usr/share/backgrounds/mate/nature/RainDrops.jpg  (mate-backgrounds; baseline, 4:2:0, q100)
# TurboJPEG: libturbojpeg-java, installed too (the worker's image has it); IMAGERY_JPEG_CODEC=imageio skips it.
# sharp is npm's, pinned in bench/sharp/package-lock.json, installed once into target/bench-sharp.
# Imagery runs ImagePipeline.process from the worker's classes (bench/PipelineBench in its test sources).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${1:-15}
WARMUP=${2:-20}
CPU=${BENCH_CPU:-1}
SMALL=/usr/share/backgrounds/mate/nature/RainDrops.jpg
LARGE=/usr/share/backgrounds/Dragonfly_by_Bolly.jpg
if [ ! -f "$SMALL" ] || [ ! -f "$LARGE" ] || ! command -v jpegtran >/dev/null || [ ! -f /usr/share/java/turbojpeg.jar ]; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends mate-backgrounds lomiri-wallpapers libjpeg-turbo-progs \
    libturbojpeg-java
fi
# shellcheck source=../tools/pinned-npm.sh
source tools/pinned-npm.sh
pinned_npm_install bench "$ROOT/bench/sharp" "$ROOT/target/bench-sharp"

if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  # Maven 3.8 prints bare colour resets even with -B -q; errors still show.
  mvn -B -ntp -o -q -pl worker-verticle -am test-compile | sed 's/\x1b\[[0-9;]*m//g'
fi
mkdir -p target
# -am: the dependencies the reactor's poms name (a local repository's imagery-shared pom may be older).
mvn -B -ntp -o -q -pl worker-verticle -am dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$ROOT/target/bench-classpath.txt" >/dev/null
# The module's own classes, not whatever imagery-shared jar a local repository may hold.
DEPS=$(tr ':' '\n' < target/bench-classpath.txt | grep -v '/imagery-shared-' | paste -sd: -)
CP="worker-verticle/target/classes:worker-verticle/target/test-classes:shared/target/classes:$DEPS"

WORK=$(mktemp -d)
cleanup() {
  exec 3>&- 5>&- 2>/dev/null || true
  [ -n "${JPID:-}" ] && kill "$JPID" 2>/dev/null
  [ -n "${SPID:-}" ] && kill "$SPID" 2>/dev/null
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
jpegtran -copy all "$LARGE" > "$WORK/dragonfly-baseline.jpg"
cp "$LARGE" "$WORK/dragonfly-progressive.jpg"
cp "$SMALL" "$WORK/raindrops.jpg"
java -cp "$CP" dev.imagery.worker.bench.PipelineBench --to-png "$LARGE" "$WORK/dragonfly.png"
# label|file|policy|result name (bench/results/NAME.json)|target (issue 8, item 2: sharp's time / ours)
CASES=("13.4 MP baseline JPEG -> JPEG|$WORK/dragonfly-baseline.jpg|auto|pipeline-jpeg-baseline-13mp|2"
       "13.4 MP progressive JPEG -> JPEG|$WORK/dragonfly-progressive.jpg|auto|pipeline-jpeg-progressive-13mp|1"
       "2.3 MP baseline JPEG -> JPEG|$WORK/raindrops.jpg|auto|pipeline-jpeg-baseline-2mp|2"
       "13.4 MP PNG -> PNG|$WORK/dragonfly.png|auto|pipeline-png-13mp|1")
# A run off the defaults writes results of its own names, beside the default run's.
SUFFIX=""
[ "${IMAGERY_JPEG_CODEC:-auto}" = auto ] || SUFFIX="$SUFFIX-${IMAGERY_JPEG_CODEC}"
[ "${SHARP_PNG_LEVEL:-6}" = 6 ] || SUFFIX="$SUFFIX-sharp-zlib${SHARP_PNG_LEVEL}"
# shellcheck source=lib/result.sh
source bench/lib/result.sh

# Both sides serve one request per line on a pipe; JVM flags as in docker/Dockerfile.worker, G1 as on 2 cores.
mkfifo "$WORK/j.in" "$WORK/j.out" "$WORK/s.in" "$WORK/s.out"
# shellcheck disable=SC2086
taskset -c "$CPU" java -XX:+UseG1GC -Xmx2g -Djava.awt.headless=true ${BENCH_JAVA_OPTS:-} -cp "$CP" \
  dev.imagery.worker.bench.PipelineBench < "$WORK/j.in" > "$WORK/j.out" &
JPID=$!
exec 3> "$WORK/j.in" 4< "$WORK/j.out"
BENCH_SHARP_DIR="$ROOT/target/bench-sharp" taskset -c "$CPU" node bench/sharp-pipeline.mjs \
  < "$WORK/s.in" > "$WORK/s.out" &
SPID=$!
exec 5> "$WORK/s.in" 6< "$WORK/s.out"

ask() { # ask SIDE FILE POLICY -> the reply line
  local reply
  if [ "$1" = imagery ]; then echo "run $2 $3" >&3; read -r reply <&4; else echo "run $2 $3" >&5; read -r reply <&6; fi
  case "$reply" in ok*) echo "$reply" ;; *) echo "$1 failed on $2: $reply" >&2; exit 1 ;; esac
}

echo codec >&3; read -r reply <&4
CODEC=${reply#ok }
echo "Imagery's JPEG codec: $CODEC"
LOAD_BEFORE=$(bench_load)
SHARP_VERSION=$(node -p "require('$ROOT/target/bench-sharp/node_modules/sharp/package.json').version")
echo "one core (taskset -c $CPU), $WARMUP warm-up + $RUNS measured runs per photo and side, alternated;" \
  "$(java -version 2>&1 | head -1), node $(node --version), sharp $SHARP_VERSION," \
  "load $(cut -d' ' -f1-3 /proc/loadavg)"
for c in "${CASES[@]}"; do
  IFS='|' read -r label file policy name target <<< "$c"
  for _ in $(seq "$WARMUP"); do ask imagery "$file" "$policy" >/dev/null; ask sharp "$file" "$policy" >/dev/null; done
  : > "$WORK/imagery.txt"; : > "$WORK/sharp.txt"
  for i in $(seq "$RUNS"); do
    # Alternate which side goes first, so that a drift in machine load hits both alike.
    if [ $((i % 2)) -eq 0 ]; then
      ask imagery "$file" "$policy" >> "$WORK/imagery.txt"; ask sharp "$file" "$policy" >> "$WORK/sharp.txt"
    else
      ask sharp "$file" "$policy" >> "$WORK/sharp.txt"; ask imagery "$file" "$policy" >> "$WORK/imagery.txt"
    fi
  done
  # Medians of each column; columns: ok wall_us cpu_us decode filter encode thumb result_bytes thumb_bytes.
  med() { awk -v c="$1" '{print $c}' "$2" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
  range() { awk -v c="$1" '{print $c}' "$2" | sort -n | awk '{a[NR]=$1} END {printf "%d-%d", a[1]/1000, a[NR]/1000}'; }
  iw=$(med 2 "$WORK/imagery.txt"); ic=$(med 3 "$WORK/imagery.txt")
  sw=$(med 2 "$WORK/sharp.txt"); sc=$(med 3 "$WORK/sharp.txt")
  echo
  echo "$label"
  printf '  %-8s wall %4d ms (%s)  cpu %4d ms  stages decode %s / filter %s / encode %s / thumbnail %s ms  out %s B, thumb %s B\n' \
    imagery $((iw / 1000)) "$(range 2 "$WORK/imagery.txt")" $((ic / 1000)) "$(med 4 "$WORK/imagery.txt")" \
    "$(med 5 "$WORK/imagery.txt")" "$(med 6 "$WORK/imagery.txt")" "$(med 7 "$WORK/imagery.txt")" \
    "$(med 8 "$WORK/imagery.txt")" "$(med 9 "$WORK/imagery.txt")"
  printf '  %-8s wall %4d ms (%s)  cpu %4d ms  stages decode+filter %s / encode %s / thumbnail %s ms  out %s B, thumb %s B\n' \
    sharp $((sw / 1000)) "$(range 2 "$WORK/sharp.txt")" $((sc / 1000)) "$(med 4 "$WORK/sharp.txt")" \
    "$(med 6 "$WORK/sharp.txt")" "$(med 7 "$WORK/sharp.txt")" "$(med 8 "$WORK/sharp.txt")" "$(med 9 "$WORK/sharp.txt")"
  awk -v iw="$iw" -v sw="$sw" -v ic="$ic" -v sc="$sc" \
    'BEGIN {printf "  Imagery/sharp speed (sharp time / Imagery time): wall %.2fx, cpu %.2fx\n", sw/iw, sc/ic}'
  bench_result "$name$SUFFIX" "$(awk -v a="$sw" -v b="$iw" 'BEGIN { printf "%.3f", a / b }')" "$target" \
    "sharp $SHARP_VERSION, one core, same files and work" \
    label="pipeline: $label${SUFFIX:+ ($SUFFIX)}" ratio_is="sharp's median wall time / Imagery's" \
    imagery_wall_ms="$((iw / 1000))" sharp_wall_ms="$((sw / 1000))" imagery_cpu_ms="$((ic / 1000))" \
    sharp_cpu_ms="$((sc / 1000))" \
    cpu_ratio="$(awk -v a="$sc" -v b="$ic" 'BEGIN { printf "%.3f", a / b }')" \
    imagery_stages_ms="$(printf '{"decode": %s, "filter": %s, "encode": %s, "thumbnail": %s}' "$(med 4 "$WORK/imagery.txt")" \
      "$(med 5 "$WORK/imagery.txt")" "$(med 6 "$WORK/imagery.txt")" "$(med 7 "$WORK/imagery.txt")")" \
    imagery_out_bytes="$(med 8 "$WORK/imagery.txt")" sharp_out_bytes="$(med 8 "$WORK/sharp.txt")" \
    imagery_jpeg_codec="$CODEC" sharp_png_level="${SHARP_PNG_LEVEL:-6}" runs="$RUNS" warmup="$WARMUP" \
    cpu="taskset -c $CPU" load_before="$LOAD_BEFORE" command="bench/pipeline.sh${*:+ $*}"
done
echo quit >&3; echo quit >&5
