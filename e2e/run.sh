#!/usr/bin/env bash
# The web page in a real browser: starts the local stack (built jars) on spare ports, uploads a photo through the
# page in headless Debian Chromium, and checks that the sepia result appears. Twice, one stack after the other:
# with authentication off (IMAGERY_AUTH_MODE=none, the local default), then with IMAGERY_AUTH_MODE=api-key and a
# key made here, which the test types into the page's key field (and first checks the page's 401 message without
# it). Installs what it needs.
#   e2e/run.sh [SCREENSHOT]     (the api-key run's screenshot goes beside it, as NAME-api-key.png)
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
[ -d node_modules/playwright-core ] || npm install --no-audit --no-fund --silent
WORK=$(mktemp -d)
PID=
stop_stack() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=; fi
}
trap 'stop_stack; rm -rf "$WORK"' EXIT
# start_stack LOG: the local stack with the environment as exported, in the background until "ready".
start_stack() {
  : > "$1" # before the background job opens it, so that the wait below never looks for a missing file
  java -jar ../local/target/imagery-local.jar > "$1" 2>&1 &
  PID=$!
  until grep -q "ready in" "$1"; do
    kill -0 "$PID" 2>/dev/null || { cat "$1"; exit 1; }
    sleep 0.2
  done
}
PHOTO=../local/src/test/resources/images/exif-orientation-examples/Landscape_0.jpg
SHOT=${1:-}

echo "page, IMAGERY_AUTH_MODE=none:"
export IMAGERY_LOCAL_DYNAMODB_PORT=48000 IMAGERY_LOCAL_SQS_PORT=49324 IMAGERY_LOCAL_S3_PORT=49090 PORT=48080
start_stack "$WORK/stack-none.log"
node page-upload.mjs "http://127.0.0.1:$PORT" "$PHOTO" "$SHOT"
stop_stack

echo "page, IMAGERY_AUTH_MODE=api-key:"
# A key as README "Making a key" makes one; the stack gets only its hash, the page gets the key from the test.
KEY=$(openssl rand -hex 32)
export IMAGERY_LOCAL_DYNAMODB_PORT=48001 IMAGERY_LOCAL_SQS_PORT=49325 IMAGERY_LOCAL_S3_PORT=49091 PORT=48081
IMAGERY_AUTH_MODE=api-key IMAGERY_API_KEYS="e2e:$(printf %s "$KEY" | sha256sum | cut -d' ' -f1)" \
  start_stack "$WORK/stack-api-key.log"
grep -q 'API-key callers: 1 keys for \[e2e\]' "$WORK/stack-api-key.log" \
  || { echo "the stack did not start in mode api-key"; cat "$WORK/stack-api-key.log"; exit 1; }
IMAGERY_E2E_KEY=$KEY node page-upload.mjs "http://127.0.0.1:$PORT" "$PHOTO" "${SHOT:+${SHOT%.png}-api-key.png}"
stop_stack
