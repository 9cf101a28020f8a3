#!/usr/bin/env bash
# The container images, built and run in a real Docker engine, with a chaos check. Run by CI from the repository
# root after `mvn verify` built the jars:  bash docker/ci-test.sh
#
# On a fresh Debian machine (as root) it installs docker.io, docker-compose and debootstrap when missing, starts
# its own dockerd (no bridge, no iptables; data under IMAGERY_CI_DOCKER_DIR, default /tmp/imagery-ci-docker),
# builds a Debian bookworm base with Debian's JRE by debootstrap from the mirror apt uses (cached in that data
# root: delete the directory, or set IMAGERY_CI_REBUILD_BASE=1, to rebuild it), builds the api, worker and local
# images tagged IMAGERY_VERSION (default: the git commit), and runs docker/compose.yaml + compose.ci.yaml
# (emulators, 2 APIs, 2 workers, host networking, read-only root filesystems). Then it checks:
#   1. the images: uid 10001, Debian's openjdk-17-jre-headless linking the system libjpeg-turbo, read-only rootfs;
#   2. the health checks of both APIs and both workers (the workers' management port);
#   3. a real photo through an API to "processed", the result a JPEG; then, where a k6 binary is on PATH (or
#      K6=/path/to/k6), the k6 smoke test (load/smoke.js) against the first API: its thresholds must pass;
#   4. chaos: docker/ci/traffic.mjs uploads IMAGERY_CI_IMAGES (40) photos alternating between the APIs, while one
#      API and one worker are SIGKILLed; every accepted image must end processed (0 lost);
#   5. SIGTERM drains: a worker stopped while it holds a slow job, an API stopped during an upload.
# It always stops its dockerd and removes its containers on exit, prints the logs of the containers on failure,
# and ends with one summary line. Exit status non-zero on any failure.
#
# Ports (loopback, host networking), overridable: IMAGERY_API_PORT 18080, IMAGERY_API_2_PORT 18082,
# IMAGERY_MANAGEMENT_PORT 18091, IMAGERY_WORKER_2_MANAGEMENT_PORT 18092, IMAGERY_API_MANAGEMENT_PORT 18093,
# IMAGERY_API_2_MANAGEMENT_PORT 18094, IMAGERY_LOCAL_DYNAMODB_PORT 18000,
# IMAGERY_LOCAL_SQS_PORT 19324, IMAGERY_LOCAL_S3_PORT 19090. They must be free.
set -euo pipefail
cd "$(dirname "$0")/.."

STARTED=$(date +%s%N)
CI_DIR=${IMAGERY_CI_DOCKER_DIR:-/tmp/imagery-ci-docker}
SOCK=$CI_DIR/docker.sock
# The tag names the package set: a cached base without libturbojpeg-java must not be taken for this one.
BASE_IMAGE=${IMAGERY_CI_BASE_IMAGE:-local/jre17-turbojpeg:bookworm}
IMAGES_N=${IMAGERY_CI_IMAGES:-40}
PHOTO=local/src/test/resources/images/exif-orientation-examples/Landscape_0.jpg   # 1800x1200, SOURCES.md
SMALL=local/src/test/resources/images/pillow/hopper.jpg                           # 128x128
JARS=(api-verticle/target/imagery-api-all.jar worker-verticle/target/imagery-worker-all.jar
      local/target/imagery-local.jar local/target/lib)

export IMAGERY_API_PORT=${IMAGERY_API_PORT:-18080}
export IMAGERY_API_2_PORT=${IMAGERY_API_2_PORT:-18082}
export IMAGERY_MANAGEMENT_PORT=${IMAGERY_MANAGEMENT_PORT:-18091}
export IMAGERY_WORKER_2_MANAGEMENT_PORT=${IMAGERY_WORKER_2_MANAGEMENT_PORT:-18092}
export IMAGERY_API_MANAGEMENT_PORT=${IMAGERY_API_MANAGEMENT_PORT:-18093}
export IMAGERY_API_2_MANAGEMENT_PORT=${IMAGERY_API_2_MANAGEMENT_PORT:-18094}
export IMAGERY_LOCAL_DYNAMODB_PORT=${IMAGERY_LOCAL_DYNAMODB_PORT:-18000}
export IMAGERY_LOCAL_SQS_PORT=${IMAGERY_LOCAL_SQS_PORT:-19324}
export IMAGERY_LOCAL_S3_PORT=${IMAGERY_LOCAL_S3_PORT:-19090}
PORTS=("$IMAGERY_API_PORT" "$IMAGERY_API_2_PORT" "$IMAGERY_MANAGEMENT_PORT" "$IMAGERY_WORKER_2_MANAGEMENT_PORT"
       "$IMAGERY_API_MANAGEMENT_PORT" "$IMAGERY_API_2_MANAGEMENT_PORT"
       "$IMAGERY_LOCAL_DYNAMODB_PORT" "$IMAGERY_LOCAL_SQS_PORT" "$IMAGERY_LOCAL_S3_PORT")
API1=http://127.0.0.1:$IMAGERY_API_PORT
API2=http://127.0.0.1:$IMAGERY_API_2_PORT
SQS=http://127.0.0.1:$IMAGERY_LOCAL_SQS_PORT

# The image tag: the commit (what a release pushes, docker/README.md), else the project version. Never "latest".
if [[ -z ${IMAGERY_VERSION:-} ]]; then
  IMAGERY_VERSION=$(git rev-parse --short HEAD 2>/dev/null \
    || sed -n 's|^  <version>\(.*\)</version>|\1|p' pom.xml | head -n1)
fi
export IMAGERY_VERSION
# Our own daemon; the legacy builder (Debian has no buildx). docker-compose v1 talks to DOCKER_HOST itself.
export DOCKER_HOST=unix://$SOCK DOCKER_BUILDKIT=0 COMPOSE_DOCKER_CLI_BUILD=0
export COMPOSE_PROJECT_NAME=imagery-ci COMPOSE_PROFILES=ha
unset DOCKER_CONTEXT
COMPOSE=(docker-compose -f docker/compose.yaml -f docker/compose.ci.yaml)

log() { printf '[docker-ci %5.1fs] %s\n' "$(elapsed)" "$*"; }
# Seconds since a date +%s%N, with one decimal.
since() { local ms=$(( ($(date +%s%N) - $1) / 1000000 )); echo "$(( ms / 1000 )).$(( ms % 1000 / 100 ))"; }
elapsed() { since "$STARTED"; }
die() { echo "docker-ci: FAILED: $*" >&2; exit 1; }
# poll SECONDS WHAT COMMAND...: runs COMMAND until it succeeds, at most SECONDS (checked every 0.25 s).
poll() {
  local seconds=$1 what=$2; shift 2
  local deadline=$(( $(date +%s) + seconds ))
  until "$@" >/dev/null 2>&1; do
    (( $(date +%s) < deadline )) || die "$what: not within ${seconds} s"
    sleep 0.25
  done
}
cid() { "${COMPOSE[@]}" ps -q "$1"; }
health() { docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$(cid "$1")"; }
is_healthy() { [[ $(health "$1") == healthy ]]; }
http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1"; }
state_of() { curl -sf --max-time 5 "$API2/image/$1" | sed -n 's/.*"state":"\([a-z]*\)".*/\1/p'; }
is_processed() { [[ $(state_of "$1") == processed ]]; }
# metric_sum PORT NAME [FRAGMENT...]: the sum (an integer) of the samples of NAME on the /metrics of a management
# port whose line holds every fragment (a label such as 'code="202"').
metric_sum() {
  local port=$1 name=$2; shift 2
  curl -sf --max-time 5 "http://127.0.0.1:$port/metrics" | awk -v name="$name" -v want="$*" '
    BEGIN { n = split(want, f, " ") }
    index($0, name "{") == 1 || index($0, name " ") == 1 {
      ok = 1; for (i = 1; i <= n; i++) if (index($0, f[i]) == 0) ok = 0
      if (ok) s += $NF
    }
    END { printf "%d\n", s }'
}
photo_counted() {
  (( $(metric_sum "$IMAGERY_MANAGEMENT_PORT" imagery_worker_images_processed_total)
     + $(metric_sum "$IMAGERY_WORKER_2_MANAGEMENT_PORT" imagery_worker_images_processed_total) >= 1 ))
}
# An attribute of the job queue, from ElasticMQ (query protocol, unsigned).
sqs_attr() {
  curl -s --max-time 5 "$SQS/queue/imagery-jobs?Action=GetQueueAttributes&AttributeName.1=$1" \
    | sed -n 's|.*<Value>\([0-9]*\)</Value>.*|\1|p'
}
not_visible() { (( $(sqs_attr ApproximateNumberOfMessagesNotVisible) > 0 )); }
json_field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"; }

DOCKERD_PID="" TRAFFIC_PID="" CURL_PID="" ROOTFS_PROC=""
cleanup() {
  local rc=$?
  set +e
  [[ -n $ROOTFS_PROC ]] && umount "$ROOTFS_PROC"
  for p in $TRAFFIC_PID $CURL_PID; do kill "$p" 2>/dev/null; done
  if [[ -n $DOCKERD_PID ]]; then
    if (( rc != 0 )); then
      echo "---- container logs (last 60 lines each) ----" >&2
      for c in $(docker ps -aq 2>/dev/null); do
        echo "---- $(docker inspect -f '{{.Name}} exit={{.State.ExitCode}} health={{if .State.Health}}{{.State.Health.Status}}{{end}}' "$c")" >&2
        docker logs --tail 60 "$c" 2>&1 | sed 's/^/  /' >&2
      done
    fi
    timeout 60 "${COMPOSE[@]}" down -v --remove-orphans -t 5 >/dev/null 2>&1
    docker ps -aq 2>/dev/null | xargs -r docker rm -f >/dev/null 2>&1
    kill "$DOCKERD_PID" 2>/dev/null
    local deadline=$(( $(date +%s) + 30 ))
    while kill -0 "$DOCKERD_PID" 2>/dev/null && (( $(date +%s) < deadline )); do sleep 0.2; done
    kill -9 "$DOCKERD_PID" 2>/dev/null
    # dockerd leaves its host network namespace mounted here; a later rm -rf of the directory would fail.
    umount "$CI_DIR/exec/netns/default" 2>/dev/null
    (( rc != 0 )) && { echo "---- dockerd log: $CI_DIR/dockerd.log (tail)" >&2; tail -n 20 "$CI_DIR/dockerd.log" >&2; }
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for f in "${JARS[@]}" "$PHOTO" "$SMALL"; do
  [[ -e $f ]] || die "$f is missing: run mvn -B package (or verify) first"
done

# ---- tools ----
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v curl >/dev/null || missing+=(curl)
command -v ss >/dev/null || missing+=(iproute2)
command -v node >/dev/null || missing+=(nodejs)   # docker/ci/traffic.mjs: Node 18+ (bookworm has 18)
if (( ${#missing[@]} > 0 )); then
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
for p in "${PORTS[@]}"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then die "port $p is in use (see the port variables above)"; fi
done

# ---- dockerd ----
mkdir -p "$CI_DIR/data" "$CI_DIR/exec"
if [[ -f $CI_DIR/dockerd.pid ]]; then
  # A daemon left by an earlier run of this script that did not get to clean up: stop it (its own pid file).
  old=$(cat "$CI_DIR/dockerd.pid")
  if [[ $(cat "/proc/$old/comm" 2>/dev/null) == dockerd ]]; then
    log "stopping the dockerd ($old) of an earlier run"
    kill "$old"
    poll 30 "old dockerd exit" bash -c "! kill -0 $old"
  fi
  rm -f "$CI_DIR/dockerd.pid"
fi
dockerd --data-root "$CI_DIR/data" --exec-root "$CI_DIR/exec" -H "unix://$SOCK" --pidfile "$CI_DIR/dockerd.pid" \
  --bridge=none --iptables=false --ip6tables=false --storage-driver=overlay2 \
  --default-ulimit nofile=4096:4096 --default-ulimit nproc=4096:4096 >"$CI_DIR/dockerd.log" 2>&1 &
DOCKERD_PID=$!
poll 60 "dockerd answering on $SOCK" docker version
log "dockerd $(docker version -f '{{.Server.Version}} (API {{.Server.APIVersion}}), client {{.Client.Version}}' 2>/dev/null) up"

# Stale containers and images of an earlier run (this daemon is ours alone).
docker ps -aq | xargs -r docker rm -f >/dev/null
docker images --format '{{.Repository}}:{{.Tag}}' | { grep -E '^imagery-(api|worker|local):' || true; } \
  | { grep -v ":$IMAGERY_VERSION\$" || true; } | xargs -r docker rmi >/dev/null
docker image prune -f >/dev/null

# ---- the Debian base (debootstrap, cached) ----
# debian_mirror SUITE DEFAULT: the mirror apt already uses for SUITE (bookworm, bookworm-security).
debian_mirror() {
  local suite=$1 f m=""
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    # deb822 stanzas: the URIs of the first "Types: deb" stanza whose Suites include SUITE itself.
    m=$(awk -v suite="$suite" 'BEGIN { RS = "" } $0 ~ /(^|\n)Types:[^\n]*deb/ {
          if (!match($0, /(^|\n)Suites:[^\n]*/)) next
          n = split(substr($0, RSTART, RLENGTH), w, /[ \t\n]+/); found = 0
          for (i = 1; i <= n; i++) if (w[i] == suite) found = 1
          if (found && match($0, /URIs:[ \t]*[^ \t\n]+/)) { u = substr($0, RSTART, RLENGTH); sub(/URIs:[ \t]*/, "", u); print u; exit } }' "$f")
    [[ -n $m ]] && { echo "$m"; return; }
  done
  if [[ -f /etc/apt/sources.list ]]; then
    m=$(awk -v suite="$suite" '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i + 1) == suite) { print $i; exit } }' \
      /etc/apt/sources.list)
    [[ -n $m ]] && { echo "$m"; return; }
  fi
  echo "$2"
}

if [[ ${IMAGERY_CI_REBUILD_BASE:-0} != 1 ]] && docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  log "base $BASE_IMAGE: cached"
else
  mirror=$(debian_mirror bookworm http://deb.debian.org/debian)
  security=$(debian_mirror bookworm-security http://deb.debian.org/debian-security)
  log "base $BASE_IMAGE: debootstrap bookworm from $mirror, then the updates from $security"
  rootfs=$CI_DIR/rootfs
  rm -rf "$rootfs"
  debootstrap --variant=minbase --include=openjdk-17-jre-headless,libturbojpeg-java bookworm "$rootfs" "$mirror" \
    >"$CI_DIR/debootstrap.log" 2>&1 || { tail -n 30 "$CI_DIR/debootstrap.log" >&2; die "debootstrap"; }
  # debootstrap takes bookworm as released: add bookworm-updates and bookworm-security and upgrade (the JRE,
  # for one, gets its security releases there). The JRE's postinst needs /proc.
  rm -f "$rootfs/etc/apt/sources.list"
  printf '%s\n' "Types: deb" "URIs: $mirror" "Suites: bookworm bookworm-updates" "Components: main" \
    "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" "" "Types: deb" "URIs: $security" \
    "Suites: bookworm-security" "Components: main" "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" \
    >"$rootfs/etc/apt/sources.list.d/debian.sources"
  mount -t proc proc "$rootfs/proc"
  ROOTFS_PROC=$rootfs/proc
  { chroot "$rootfs" apt-get update -qq && DEBIAN_FRONTEND=noninteractive chroot "$rootfs" apt-get upgrade -y -qq; } \
    >>"$CI_DIR/debootstrap.log" 2>&1 || { tail -n 30 "$CI_DIR/debootstrap.log" >&2; die "apt-get upgrade in the base"; }
  umount "$rootfs/proc"
  ROOTFS_PROC=""
  (
    cd "$rootfs"
    rm -rf var/lib/apt/lists/* var/cache/apt/*.bin var/cache/apt/archives/*.deb var/log/* usr/share/man/* \
      usr/share/info/* debootstrap
    find usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete     # keep the licences
    find usr/share/locale -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
    rm -f etc/resolv.conf etc/hostname
  )
  tar --numeric-owner -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' --change 'CMD ["bash"]' - "$BASE_IMAGE" >/dev/null
  rm -rf "$rootfs"
  log "base $BASE_IMAGE: $(docker run --rm --network none --entrypoint dpkg-query "$BASE_IMAGE" -W -f '${Version}' openjdk-17-jre-headless) JRE, $(docker image inspect -f '{{.Size}}' "$BASE_IMAGE" | awk '{ printf "%d MB", $1 / 1e6 }')"
fi

# ---- the images ----
# Each build gets a context of only the Dockerfile and the files it copies (a tar on stdin): the legacy builder
# would otherwise send the whole repository, and the root .dockerignore cannot differ per image.
build() {
  local name=$1 dockerfile=docker/$2; shift 2
  tar -c "$dockerfile" "$@" | docker build -f "$dockerfile" --build-arg "BASE_IMAGE=$BASE_IMAGE" \
    -t "imagery-$name:$IMAGERY_VERSION" - >"$CI_DIR/build-$name.log" 2>&1 \
    || { cat "$CI_DIR/build-$name.log" >&2; die "docker build of imagery-$name"; }
}
build api Dockerfile.api api-verticle/target/imagery-api-all.jar
build worker Dockerfile.worker worker-verticle/target/imagery-worker-all.jar
build local Dockerfile.local local/target/imagery-local.jar local/target/lib
size() { docker image inspect -f '{{.Size}}' "imagery-$1:$IMAGERY_VERSION" | awk '{ printf "%d MB", $1 / 1e6 }'; }
log "images imagery-{api,worker,local}:$IMAGERY_VERSION built: api $(size api), worker $(size worker), local $(size local)"

# ---- 1. image checks ----
for s in api worker local; do
  uid=$(docker run --rm --network none --entrypoint id "imagery-$s:$IMAGERY_VERSION" -u)
  [[ $uid == 10001 ]] || die "imagery-$s runs as uid $uid, not 10001"
done
# shellcheck disable=SC2016
jre=$(docker run --rm --network none --entrypoint bash "imagery-worker:$IMAGERY_VERSION" -c '
  set -e; lib=$(dirname "$(readlink -f "$(command -v java)")")/../lib/libjavajpeg.so
  ldd "$lib" | grep -o "libjpeg.so.62 => [^ ]*"; dpkg -S "$(readlink -f "$lib")" | cut -d: -f1')
grep -q 'libjpeg.so.62 => ' <<<"$jre" || die "libjavajpeg.so does not link libjpeg.so.62: $jre"
grep -qx 'openjdk-17-jre-headless' <<<"$jre" || die "the JRE is not Debian's openjdk-17-jre-headless: $jre"
log "images: uid 10001; JRE openjdk-17-jre-headless, libjavajpeg -> $(grep -o '=> .*' <<<"$jre")"

# ---- the stack ----
# The first API creates the table, queues and bucket alone: five JVMs starting at once on 2 cores, all racing to
# create them, made DynamoDB Local's CreateTable miss the SDK's 10 s call timeout.
compose_up() { "${COMPOSE[@]}" up -d --no-build "$@" >>"$CI_DIR/compose-up.log" 2>&1 || { cat "$CI_DIR/compose-up.log" >&2; die "compose up $*"; }; }
# Every job takes 300 ms more (the test-only IMAGERY_FAULT_PROCESSING_DELAY_MS), so that a worker killed in the
# chaos check holds some.
export IMAGERY_CI_PROCESSING_DELAY_MS=300
log "compose up: emulators, api; then api-2, worker, worker-2"
: >"$CI_DIR/compose-up.log"
compose_up emulators api
poll 120 "emulators healthy" is_healthy emulators
poll 120 "api healthy" is_healthy api
log "emulators and api healthy"
compose_up
for s in api-2 worker worker-2; do
  poll 120 "$s healthy" is_healthy "$s"
done
for s in emulators api api-2 worker worker-2; do
  [[ $(docker inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$(cid "$s")") == true ]] || die "$s: root filesystem not read-only"
done
[[ $(docker exec "$(cid worker)" id -u) == 10001 ]] || die "the worker process is not uid 10001"
# The worker image has libturbojpeg-java: the worker says so once it has its queue (just after it turns healthy).
codec_line() { docker logs "$(cid worker)" 2>&1 | grep -o 'JPEG codec: [A-Za-z]*' | head -1; }
logs_codec() { [[ -n $(codec_line) ]]; }
poll 60 "the worker's JPEG codec line" logs_codec
[[ $(codec_line) == 'JPEG codec: TurboJPEG' ]] || die "the worker image does not take the TurboJPEG path: '$(codec_line)'"
log "worker: $(codec_line)"
# ---- 2. health endpoints ----
for u in "$API1/health/live" "$API2/health/live" "$API1/health/ready" \
         "http://127.0.0.1:$IMAGERY_MANAGEMENT_PORT/health/live" "http://127.0.0.1:$IMAGERY_WORKER_2_MANAGEMENT_PORT/health/live"; do
  [[ $(http_code "$u") == 200 ]] || die "$u: $(curl -s --max-time 5 -w ' %{http_code}' "$u")"
done
curl -s "http://127.0.0.1:$IMAGERY_MANAGEMENT_PORT/health/live" | grep -q '"status":"UP"' || die "worker health body"
log "stack healthy (read-only root filesystems): APIs :$IMAGERY_API_PORT :$IMAGERY_API_2_PORT /health/live+ready, workers :$IMAGERY_MANAGEMENT_PORT :$IMAGERY_WORKER_2_MANAGEMENT_PORT /health/live"

# ---- 3. a real photo ----
upload() {  # upload API FILE -> prints the id once the upload is accepted (202)
  local id code
  id=$(curl -sf --max-time 10 -X POST "$1/image" | json_field id)
  [[ -n $id ]] || die "POST $1/image"
  code=$(curl -s -o "$CI_DIR/upload.json" -D "$CI_DIR/upload.headers" -w '%{http_code}' --max-time 60 \
    -H "traceparent: $TRACEPARENT" -F "file=@$2" "$1/image/$id/upload")
  [[ $code == 202 ]] || die "upload to $1: $code $(cat "$CI_DIR/upload.json")"
  echo "$id"
}
# The client's W3C trace: one trace id from the request to the result, in both services' JSON log lines.
TRACE_ID=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
TRACEPARENT="00-$TRACE_ID-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')-01"
id=$(upload "$API1" "$PHOTO")
poll 60 "photo $id processed" is_processed "$id"
grep -qi "^traceparent: 00-$TRACE_ID-" "$CI_DIR/upload.headers" || die "the upload's answer does not continue the trace"
# A JSON line of service $1 for the photo, matching $2, with the trace id as a field.
traced() { docker logs "$(cid "$1")" 2>&1 | grep -F "\"imageId\":\"$id\"" | grep -F "$2" \
  | grep -qF "\"traceId\":\"$TRACE_ID\""; }
worker_traced() { traced worker "$1" || traced worker-2 "$1"; }
poll 30 "the api's JSON access line for the upload, trace $TRACE_ID" traced api '"route":"/image/:id/upload"'
poll 30 "the api's JSON 'queued' line, trace $TRACE_ID" traced api ' queued"'
poll 30 "a worker's JSON 'processed in' line, trace $TRACE_ID" worker_traced ' processed in '
log "trace: $TRACE_ID in the api's access and queued lines and the worker's processed line (JSON fields)"
curl -sf --max-time 10 -o "$CI_DIR/result.jpg" "$API1/image/$id/result"
[[ $(head -c 3 "$CI_DIR/result.jpg" | od -An -tx1 | tr -d ' \n') == ffd8ff ]] || die "the result is not a JPEG"
dims=$(curl -sf "$API1/image/$id" | sed -n 's/.*"width":\([0-9]*\),"height":\([0-9]*\).*/\1x\2/p')
log "photo: $(basename "$PHOTO") processed, result a $(stat -c %s "$CI_DIR/result.jpg")-byte JPEG, $dims"
# /metrics on every management port, in the Prometheus text format and without a token; the photo moved the upload
# route's count on the API that took it and the processed count of a worker.
for p in "$IMAGERY_API_MANAGEMENT_PORT" "$IMAGERY_API_2_MANAGEMENT_PORT" "$IMAGERY_MANAGEMENT_PORT" \
         "$IMAGERY_WORKER_2_MANAGEMENT_PORT"; do
  type=$(curl -s -o /dev/null -w '%{http_code} %{content_type}' --max-time 5 "http://127.0.0.1:$p/metrics")
  [[ $type == "200 text/plain; version=0.0.4"* ]] || die ":$p/metrics answered $type"
done
uploads=$(metric_sum "$IMAGERY_API_MANAGEMENT_PORT" vertx_http_server_requests_total 'code="202"' 'route="/image/:id/upload"')
(( uploads >= 1 )) || die "API 1's /metrics counts $uploads accepted uploads"
poll 10 "a worker's /metrics to count the photo" photo_counted
log "metrics: /metrics on 4 management ports; API 1 counted $uploads accepted upload(s), the workers the photo"

# ---- 3b. the k6 smoke test against the compose stack ----
# load/smoke.js (one VU, three whole flows and the idempotency checks, every check required) against the first API
# on loopback, where a k6 binary is on PATH or K6 names one; load/check.sh runs the same against the local stack.
# A crossed threshold (k6 exits 99) or any other failure fails CI. Without k6 it says so and goes on.
K6_BIN=${K6:-k6}
if command -v "$K6_BIN" >/dev/null 2>&1; then
  log "k6 smoke: $("$K6_BIN" version | head -1) running load/smoke.js against $API1"
  rc=0
  BASE_URL=$API1 SUMMARY_PATH=$CI_DIR/k6-smoke-summary.json "$K6_BIN" run --quiet --no-color load/smoke.js \
    >"$CI_DIR/k6-smoke.log" 2>&1 || rc=$?
  sed 's/^/  /' "$CI_DIR/k6-smoke.log"
  (( rc == 0 )) || die "k6 smoke against the compose stack: k6 exited $rc (99: a threshold crossed; the summary is above)"
  SMOKE="k6 smoke passed ($(sed -n 's/^requests: \([0-9]*\) .*, \([0-9]*\) failed.*/\1 requests, \2 failed/p' \
    "$CI_DIR/k6-smoke.log"))"
  log "$SMOKE; summary JSON $CI_DIR/k6-smoke-summary.json"
else
  SMOKE="k6 smoke skipped (no k6 binary on PATH, nor K6=/path/to/k6)"
  log "$SMOKE"
fi

# ---- 4. chaos: kill an API and a worker mid-traffic ----
KILL_AT=$(( IMAGES_N / 4 ))
# The README's bound on an image's wait in "uploaded" for the CI settings: the reconciler gives up at
# IMAGERY_RECONCILE_AFTER_SECONDS x 2^IMAGERY_MAX_REQUEUES (3, the default) after the upload, met within 1.5 passes.
ci_env() { sed -n "s/^ *$1: \"\([0-9]*\)\"$/\1/p" docker/compose.ci.yaml | head -1; }
BOUND_S=$(awk -v t="$(ci_env IMAGERY_RECONCILE_AFTER_SECONDS)" -v i="$(ci_env IMAGERY_RECONCILE_INTERVAL_SECONDS)" \
  'BEGIN { if (t == "" || i == "") exit 1; print t * 2 ^ 3 + 1.5 * i }') || die "no reconciler settings in compose.ci.yaml"
node docker/ci/traffic.mjs --apis "$API1,$API2" --file "$PHOTO" --count "$IMAGES_N" --concurrency 4 \
  --deadline-seconds 150 --bound-seconds "$BOUND_S" >"$CI_DIR/traffic.log" 2>&1 &
TRAFFIC_PID=$!
poll 60 "$KILL_AT uploads accepted" grep -qx "accepted $KILL_AT" "$CI_DIR/traffic.log"
held=$(sqs_attr ApproximateNumberOfMessagesNotVisible)
docker kill "$(cid api)" >/dev/null
docker kill "$(cid worker)" >/dev/null
KILLED="api and worker SIGKILLed after $KILL_AT of $IMAGES_N uploads were accepted ($held jobs held by the workers)"
log "chaos: $KILLED"
rc=0; wait "$TRAFFIC_PID" || rc=$?
traffic=$(grep '^traffic: ' "$CI_DIR/traffic.log" || true)
[[ -n $traffic ]] || { cat "$CI_DIR/traffic.log" >&2; die "traffic client ended without a result (rc $rc)"; }
log "chaos: $traffic"
lost=$(sed -n 's/.* \([0-9]*\) lost.*/\1/p' <<<"$traffic")
(( rc == 0 )) && [[ $lost == 0 ]] || { grep -v '^accepted ' "$CI_DIR/traffic.log" >&2; die "chaos: $traffic"; }
exits="api $(docker inspect -f '{{.State.ExitCode}}' "$(cid api)"), worker $(docker inspect -f '{{.State.ExitCode}}' "$(cid worker)")"
w2log=$(docker logs "$(cid worker-2)" 2>&1)
redelivered=$(grep -cE 'receive=[2-9][0-9]* upload=.* processed in' <<<"$w2log" || true)
nothing=$(grep -c 'nothing to do' <<<"$w2log" || true)
requeued=$(grep -c 'requeued image=' <<<"$w2log" || true)
log "chaos: killed exit codes $exits; worker-2: $redelivered redelivered jobs processed, $nothing duplicates dropped, $requeued requeued by its reconciler"

# ---- 5. SIGTERM drains ----
# The killed api starts again; worker-2 is recreated with 6 s jobs (the killed worker stays down, so that
# worker-2 gets the job); it is stopped while it holds one.
"${COMPOSE[@]}" start api >>"$CI_DIR/compose-up.log" 2>&1
IMAGERY_CI_PROCESSING_DELAY_MS=6000 compose_up --no-deps worker-2
poll 90 "worker-2 healthy (6 s jobs)" is_healthy worker-2
W2=$(cid worker-2)
# Nothing left in the queue (duplicates the reconciler queued during the chaos are dropped in milliseconds), so
# that the job worker-2 holds below is this one.
queue_empty() { (( $(sqs_attr ApproximateNumberOfMessages) + $(sqs_attr ApproximateNumberOfMessagesNotVisible) == 0 )); }
poll 60 "job queue empty" queue_empty
slow_id=$(upload "$API2" "$SMALL")
poll 30 "worker-2 holding the job of $slow_id" not_visible
grace=30
t0=$(date +%s%N)
docker stop -t "$grace" "$W2" >/dev/null
worker_stop=$(since "$t0")
code=$(docker inspect -f '{{.State.ExitCode}}' "$W2")
wlog=$(docker logs "$W2" 2>&1)
[[ $code == 143 || $code == 0 ]] || die "worker-2 exited $code on SIGTERM (137 = killed after the grace period)"
grep -q 'worker stopping: 1 jobs in flight' <<<"$wlog" || die "worker-2 log: no 'worker stopping: 1 jobs in flight'"
if grep -q "image=$slow_id .* processed in" <<<"$wlog"; then
  drained="finished its job"
elif grep -q 'still running at shutdown: making it visible again' <<<"$wlog"; then
  drained="handed its job back"
else
  die "worker-2 log: the held job was neither finished nor handed back"
fi
grep -q 'imagery-worker stopped' <<<"$wlog" || die "worker-2 log: no 'imagery-worker stopped'"
log "drain: worker-2 stopped in ${worker_stop} s (grace $grace s), exit $code, $drained"
# The killed worker starts again (same settings: compose starts the old container); whatever worker-2 handed
# back, it processes. Meanwhile the API check runs.
compose_up --no-deps worker

# The API: api-2 stopped during a slow upload (the photo at 100 KB/s: ~3.5 s); the upload must still succeed.
poll 90 "restarted api healthy" is_healthy api
A2=$(cid api-2)
upload_id=$(curl -sf --max-time 10 -X POST "$API2/image" | json_field id)
curl -s -o "$CI_DIR/slow-upload.json" -w '%{http_code}' --max-time 60 --limit-rate 100k -F "file=@$PHOTO" \
  "$API2/image/$upload_id/upload" >"$CI_DIR/slow-upload.code" &
CURL_PID=$!
# (ss -p names the process: health checks also connect, from inside the containers.)
in_flight() { ss -Htnp state established "( dport = :$IMAGERY_API_2_PORT )" | grep -q '"curl"'; }
poll 10 "upload to api-2 in flight" in_flight
grace=25
t0=$(date +%s%N)
docker stop -t "$grace" "$A2" >/dev/null
api_stop=$(since "$t0")
wait "$CURL_PID" || true
code=$(docker inspect -f '{{.State.ExitCode}}' "$A2")
alog=$(docker logs "$A2" 2>&1)
[[ $code == 143 || $code == 0 ]] || die "api-2 exited $code on SIGTERM"
grep -q 'API draining' <<<"$alog" || die "api-2 log: no 'API draining'"
grep -q 'imagery-api stopped' <<<"$alog" || die "api-2 log: no 'imagery-api stopped'"
[[ $(cat "$CI_DIR/slow-upload.code") == 202 ]] \
  || die "upload in flight during the api-2 stop: $(cat "$CI_DIR/slow-upload.code") $(cat "$CI_DIR/slow-upload.json")"
log "drain: api-2 stopped in ${api_stop} s (grace $grace s), exit $code, the upload in flight got 202"

is_processed_1() { curl -sf --max-time 5 "$API1/image/$1" | grep -q '"state":"processed"'; }
poll 90 "restarted worker healthy" is_healthy worker
poll 60 "the drained worker's job $slow_id processed" is_processed_1 "$slow_id"
poll 60 "the upload during the api stop, $upload_id, processed" is_processed_1 "$upload_id"
log "restarted api and worker healthy; both drained jobs processed"

counts=$(sed -n 's/^traffic: \([0-9]*\) accepted, \([0-9]*\) processed, \([0-9]*\) failed, \([0-9]*\) lost.*longest wait \([0-9.]* s\), \([0-9]*\) over the bound of \([0-9.]* s\).*/\1 accepted, \2 processed, \3 failed, \4 lost, every one final; longest wait in uploaded \5, \6 over the bound of \7/p' <<<"$traffic")
echo "docker: 3 images built (imagery-{api,worker,local}:$IMAGERY_VERSION), photo processed; chaos: $counts with api+worker SIGKILLed after $KILL_AT accepted; drains: worker ${worker_stop} s ($drained), api ${api_stop} s; $SMOKE; in $(elapsed) s"
