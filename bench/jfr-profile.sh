#!/usr/bin/env bash
# Where a JVM's CPU samples went, from a JFR recording (jdk.ExecutionSample): the share of samples with a frame of
# each named part of the code anywhere on the stack (parts overlap: a part calls another), then the hottest methods
# (the frame on top of each sample). Used by the bench scripts' PROFILE=1; on its own:
#   bench/jfr-profile.sh FILE.jfr [TOP] ['name=regex' ...]       the default parts are those of an upload
# A part whose name starts with "self:" counts only the frame on top of each sample (where the CPU was, not who
# called it): such parts do not overlap when their regexes do not.
# JFR cannot walk a stack inside an intrinsic (SHA-256 is one): those samples are missing, so SHA-256 shows low.
set -euo pipefail
FILE=$1
TOP=${2:-15}
shift $(( $# > 1 ? 2 : 1 ))
PARTS=("$@")
[ ${#PARTS[@]} -gt 0 ] || PARTS=(
  'multipart decoding (Netty, for Vert.x)=HttpPostMultipartRequestDecoder|HttpPostBodyUtil'
  'HTTP request decoding and the copy to a safe buffer=HttpObjectDecoder|Http1xServerConnection|safeBuffer'
  'UploadPublisher (the copy, SHA-256, hand-off)=dev\.imagery\.api\.upload\.UploadPublisher'
  'SHA-256=sun\.security\.provider\.(SHA2|DigestBase)|MessageDigest'
  'SDK part splitting and buffering=SplittingPublisher|BufferedSplittable|UnknownContentLength'
  'SDK chunk signing and checksums=chunkedencoding|signer|SdkChecksum|checksums'
  'SDK request pipeline (per part)=internal\.http\.pipeline|AuthScheme|EndpointResolver|interceptor'
  'socket reads and writes=sun\.nio\.ch|epoll|Epoll'
  'Vert.x stream plumbing=InboundBuffer|ContextInternal\.dispatch|runOnContext'
)
jfr print --stack-depth 64 --events jdk.ExecutionSample "$FILE" | awk -v top="$TOP" -v parts="$(printf '%s\n' "${PARTS[@]}")" '
  BEGIN { n = split(parts, list, "\n"); for (i = 1; i <= n; i++) { eq = index(list[i], "="); name[i] = substr(list[i], 1, eq - 1); re[i] = substr(list[i], eq + 1) } }
  /^jdk.ExecutionSample/ { if (depth) flush(); in_stack = 0; depth = 0; next }
  /stackTrace = \[/ { in_stack = 1; next }
  in_stack && /^[ \t]*\]/ { in_stack = 0; next }
  in_stack { f = $0; sub(/^[ \t]+/, "", f); sub(/[ \t]+line:.*/, "", f); if (f != "...") frames[++depth] = f }
  function flush(   i, j, chain) {
    samples++; self[frames[1]]++
    chain = ""
    for (j = 2; j <= depth && j <= 7; j++) { f = frames[j]; sub(/\(.*/, "", f); chain = chain " <- " f }
    callers[frames[1], chain]++
    for (i = 1; i <= n; i++) for (j = 1; j <= (name[i] ~ /^self:/ ? 1 : depth); j++) if (frames[j] ~ re[i]) { inside[i]++; break }
    depth = 0
  }
  END {
    if (depth) flush()
    printf "%d CPU samples; share with a frame of each part on the stack:\n", samples
    for (i = 1; i <= n; i++) printf "  %5.1f%% %s\n", 100 * inside[i] / samples, name[i]
    printf "hottest methods (top of the stack):\n"
    for (f in self) printf "  %5.1f%% %s\n", 100 * self[f] / samples, f | ("sort -rn | head -" top)
    close("sort -rn | head -" top)
    # The three hottest, each with the callers it was most often reached through.
    for (r = 1; r <= 3; r++) {
      best = ""; for (f in self) if (!(f in shown) && (best == "" || self[f] > self[best])) best = f
      if (best == "") break
      shown[best] = 1; bc = ""; bn = 0
      for (k in callers) { split(k, kk, SUBSEP); if (kk[1] == best && callers[k] > bn) { bn = callers[k]; bc = kk[2] } }
      m = best; sub(/\(.*/, "", m)
      printf "%s, most often (%d of %d) via%s\n", m, bn, self[best], bc
    }
  }'
