#!/usr/bin/env bash
# Checks the k6 load tests (load/*.js, load/lib/) offline, against stock k6 v0.48:
# 1. syntax and imports (check-syntax.mjs): ECMAScript 2017, the most k6 v0.48's Babel parses; only relative and
#    k6 built-in imports (no remote module, no extension);
# 2. types (tsc --noEmit --allowJs --checkJs, jsconfig.json): every k6 call and option against @types/k6 0.48.0;
# 3. a self-check: broken copies of the scripts (a wrong type, an option typo, a module newer than v0.48, a remote
#    import, an extension, optional chaining, object spread) must each be rejected;
# 4. where a k6 binary is on PATH (or K6=/path/to/k6): the smoke test for real, against the local stack started
#    from the jar that `mvn verify` (or `mvn package`) built, local/target/imagery-local.jar. Without k6 it says
#    that it skipped this step.
#
#   load/check.sh
#
# Needs node >= 18 and npm. Self-installing: the pinned npm packages of load/package.json go into a cache directory
# (default <repo>/target/load-check, override with LOAD_CHECK_CACHE), once; later runs are offline.
# LOAD_CHECK_SELF_CHECK=0 skips the self-check. The exit status is non-zero on any problem.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
cache="${LOAD_CHECK_CACHE:-$repo/target/load-check}"
. "$repo/tools/pinned-npm.sh"
pinned_npm_install load "$here" "$cache"

# tsc with load/jsconfig.json, its types taken from the cache (an editor finds them in load/node_modules instead).
# Args: the load directory to check. Prints the errors; fails when there are any.
typecheck() {
  local dir="$1" config
  config="$(mktemp --suffix=.json "$cache/tsconfig.XXXXXX")"
  cat >"$config" <<EOF
{
  "extends": "$dir/jsconfig.json",
  "compilerOptions": {
    "typeRoots": ["$cache/node_modules/@types"],
    "paths": { "k6": ["$cache/node_modules/@types/k6/index.d.ts"], "k6/*": ["$cache/node_modules/@types/k6/*"] }
  }
}
EOF
  local status=0
  node "$cache/node_modules/typescript/bin/tsc" -p "$config" --pretty false || status=$?
  rm -f "$config"
  return "$status"
}

# Both checks over one load directory.
check_dir() {
  local dir="$1"
  node "$here/check-syntax.mjs" "$cache" "$dir"/*.js "$dir"/lib/*.js && typecheck "$dir"
}

scripts=$(cd "$here" && ls *.js | tr '\n' ' ')
if ! check_dir "$here"; then
  echo "load: INVALID: the k6 scripts do not pass the checks above"
  exit 1
fi
echo "load: ${scripts}and lib/ pass the syntax, import and type checks (k6 v0.48)"

if [ "${LOAD_CHECK_SELF_CHECK:-1}" != 0 ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  rejected=0
  # broken NAME FILE PERL_SUBSTITUTION: a copy of load/ with one change that the checks must reject.
  broken() {
    local name="$1" file="$2" edit="$3" copy="$work/$1"
    mkdir -p "$copy"
    cp -r "$here"/*.js "$here"/lib "$here"/types "$here"/jsconfig.json "$copy/"
    perl -0pi -e "$edit" "$copy/$file"
    if cmp -s "$here/$file" "$copy/$file"; then
      echo "load: self-check '$name': the edit changed nothing in $file (the self-check is out of date)"
      exit 1
    fi
    if check_dir "$copy" >"$work/$name.log" 2>&1; then
      echo "load: self-check FAILED: the broken copy '$name' ($file) passed the checks"
      exit 1
    fi
    rejected=$((rejected + 1))
    local why
    why="$(grep -m1 -E 'error|INVALID|not ECMAScript|imports' "$work/$name.log" | sed -E "s#[^ ]*/$name/##")"
    echo "load: self-check: '$name' rejected: $why"
  }
  broken wrong-type lib/flow.js 's/sleep\(POLL_INTERVAL_S\)/sleep(`\${POLL_INTERVAL_S}s`)/'
  broken option-typo average.js 's/timeUnit: /timeunit: /'
  broken executor-typo spike.js "s/'ramping-arrival-rate'/'ramping-arival-rate'/"
  # An import prepended to smoke.js, and used, so that only the import itself can be what is rejected.
  prepend() { printf 's|\\A|import %s;\\nexport const used = [%s];\\n|' "$1" "$2"; }
  broken newer-than-v0.48 smoke.js "$(prepend "{ browser } from 'k6/browser'" browser)"
  jslib="'https://jslib.k6.io/k6-summary/0.0.2/index.js'"
  broken remote-import smoke.js "$(prepend "{ textSummary } from $jslib" textSummary)"
  broken extension smoke.js "$(prepend "sql from 'k6/x/sql'" sql)"
  broken optional-chaining lib/flow.js 's/json\(r\)\.state/json(r)?.state/'
  broken object-spread lib/flow.js "s/Object\.assign\(params\('result'\), binary\)/{ ...params('result'), ...binary }/"
  echo "load: self-check: $rejected broken copies rejected"
fi

k6="${K6:-k6}"
if ! command -v "$k6" >/dev/null 2>&1; then
  echo "load: no k6 binary on PATH (or K6=/path/to/k6): skipped the real smoke run against the local stack"
  exit 0
fi
jar="$repo/local/target/imagery-local.jar"
if [ ! -f "$jar" ]; then
  echo "load: INVALID: $jar is missing; build it first (mvn -B -ntp verify, or mvn -B -q package -DskipTests)"
  exit 1
fi
echo "load: $("$k6" version): the smoke test against the local stack"
stack_log="$(mktemp)"
export IMAGERY_LOCAL_DYNAMODB_PORT=58000 IMAGERY_LOCAL_SQS_PORT=59324 IMAGERY_LOCAL_S3_PORT=59090 PORT=58080
java -jar "$jar" >"$stack_log" 2>&1 &
stack=$!
trap 'kill $stack 2>/dev/null || true; wait $stack 2>/dev/null || true; rm -rf "${work:-}" "$stack_log"' EXIT
until grep -q "ready in" "$stack_log"; do
  kill -0 $stack 2>/dev/null || { cat "$stack_log"; echo "load: INVALID: the local stack did not start"; exit 1; }
  sleep 0.2
done
cd "$repo"
BASE_URL="http://127.0.0.1:$PORT" "$k6" run --quiet --no-color load/smoke.js || {
  echo "load: INVALID: the smoke test failed against the local stack (the stack's log: below)"
  tail -50 "$stack_log"
  exit 1
}
echo "load: the smoke test passed against the local stack"
