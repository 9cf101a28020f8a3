#!/usr/bin/env bash
# Where a JVM's CPU samples went, from a JFR recording (jdk.ExecutionSample): the hottest methods (the frame on top of
# each sample) and the share of samples spent inside each of a few libraries (any frame of theirs on the stack).
# Used by the bench scripts' PROFILE=1; on its own:  bench/jfr-profile.sh FILE.jfr [TOP]
set -euo pipefail
FILE=$1
TOP=${2:-15}
jfr print --events jdk.ExecutionSample "$FILE" | awk -v top="$TOP" '
  /^jdk.ExecutionSample/ { if (n_frames) flush(); in_stack = 0; n_frames = 0; next }
  /stackTrace = \[/ { in_stack = 1; next }
  in_stack && /^[ \t]*\]/ { in_stack = 0; next }
  in_stack { f = $0; sub(/^[ \t]+/, "", f); sub(/[ \t]+line:.*/, "", f); if (f != "...") frames[++n_frames] = f }
  function flush(   i, f, seen, lib) {
    samples++; self[frames[1]]++
    delete seen
    for (i = 1; i <= n_frames; i++) {
      f = frames[i]
      lib = f ~ /^io\.vertx\./ ? "Vert.x" : f ~ /^io\.netty\./ ? "Netty" \
          : f ~ /^software\.amazon\.awssdk\./ ? "AWS SDK" : f ~ /^com\.fasterxml\.jackson\./ ? "Jackson" \
          : f ~ /^(sun\.security|java\.security|javax\.crypto|com\.sun\.crypto)\./ ? "JDK crypto (SHA-256, HMAC)" \
          : f ~ /^ch\.qos\.logback\./ ? "logback" : f ~ /^dev\.imagery\./ ? "Imagery" : ""
      if (lib != "" && !(lib in seen)) { seen[lib] = 1; inside[lib]++ }
    }
    n_frames = 0
  }
  END {
    if (n_frames) flush()
    printf "%d CPU samples\n", samples
    for (l in inside) printf "  inside %-28s %5.1f%%\n", l, 100 * inside[l] / samples | "sort -k3 -rn -t%"
    close("sort -k3 -rn -t%")
    for (f in self) printf "%5.1f%% %s\n", 100 * self[f] / samples, f | ("sort -rn | head -" top)
  }'
