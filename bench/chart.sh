#!/usr/bin/env bash
# Draws docs/benchmarks.png from the results the other bench/ scripts write (bench/results/*.json, one per target,
# format in bench/lib/result.sh): one bar per target, the measured ratio, a tick at the target, green when met, red
# when missed, pale where the figures were copied from docs/benchmarks.md rather than measured by the script.
# The drawing is dev.imagery.local.bench.ChartBench (test scope, JFreeChart), run like the other bench clients.
#
#   bench/chart.sh [RESULTS_DIR] [OUTPUT]      defaults: bench/results docs/benchmarks.png
# Needs: the test classes (mvn -B -ntp -o -q package -DskipTests, or test-compile).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RESULTS=${1:-bench/results}
OUT=${2:-docs/benchmarks.png}
[ -f local/target/test-classes/dev/imagery/local/bench/ChartBench.class ] \
  || { echo "build first: mvn -B -ntp -o -q package -DskipTests"; exit 1; }
mkdir -p target
# JFreeChart is a test dependency of local/, so it is not in local/target/lib (runtime scope): its path comes from
# Maven, the version from local/pom.xml.
# (Maven 3.8 prints bare colour resets even with -B -q: its output is shown only when it fails.)
mvn -B -ntp -o -q -pl local -am dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$ROOT/target/chart-classpath.txt" > target/chart-mvn.log 2>&1 || { cat target/chart-mvn.log; exit 1; }
JFREE=$(tr ':' '\n' < target/chart-classpath.txt | grep '/jfreechart-' | paste -sd: -)
[ -n "$JFREE" ] || { echo "no jfreechart on local/'s test classpath (target/chart-classpath.txt)"; exit 1; }
java -Djava.awt.headless=true -cp "local/target/test-classes:local/target/classes:local/target/lib/*:$JFREE" \
  dev.imagery.local.bench.ChartBench "$RESULTS" "$OUT"
