#!/usr/bin/env bash
# The web page in a real browser: starts the local stack (built jars) on spare ports, uploads a photo through the
# page in headless Debian Chromium, and checks that the sepia result appears. Installs what it needs.
#   e2e/run.sh [SCREENSHOT]
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
[ -d node_modules/playwright-core ] || npm install --no-audit --no-fund --silent
WORK=$(mktemp -d)
export IMAGERY_LOCAL_DYNAMODB_PORT=48000 IMAGERY_LOCAL_SQS_PORT=49324 IMAGERY_LOCAL_S3_PORT=49090 PORT=48080
java -jar ../local/target/imagery-local.jar > "$WORK/stack.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
until grep -q "ready in" "$WORK/stack.log"; do
  kill -0 $PID 2>/dev/null || { cat "$WORK/stack.log"; exit 1; }
  sleep 0.2
done
node page-upload.mjs "http://127.0.0.1:$PORT" ../local/src/test/resources/images/exif-orientation-examples/Landscape_0.jpg "${1:-}"
