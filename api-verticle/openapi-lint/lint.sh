#!/usr/bin/env bash
# Lints the API's OpenAPI 3.1 document (api-verticle/src/main/resources/openapi.yaml) offline with Redocly CLI:
# the OpenAPI 3.1 schema, unresolved $refs, path parameters, operationIds, security, and every example against its
# schema (redocly.yaml beside this script). Then a self-check: broken copies of the document must be rejected.
# The API itself loads the same document through vertx-openapi, which checks it against the OpenAPI 3.1 schema at
# start; the tests check that it matches the router (PublicRouterTest) and lists every error (ErrorCodesDocumentedTest).
#
#   api-verticle/openapi-lint/lint.sh [DOCUMENT]
#
# Needs node >= 20.19 and npm. Self-installing: the pinned npm package of package.json goes into a cache directory
# (default <repo>/target/openapi-lint, override with OPENAPI_LINT_CACHE), once; later runs are offline.
# OPENAPI_LINT_SELF_CHECK=0 skips the self-check. The exit status is non-zero on any problem.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${OPENAPI_LINT_CACHE:-$repo/target/openapi-lint}"
document="${1:-$repo/api-verticle/src/main/resources/openapi.yaml}"
. "$repo/tools/pinned-npm.sh"
pinned_npm_install openapi "$here" "$cache"
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
  echo "openapi: Redocly CLI needs node >= 20.19, found $(node --version)" >&2
  exit 1
fi

# No telemetry and no update check: the run is offline and must stay quiet.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
lint() {
  node "$cache/node_modules/@redocly/cli/bin/cli.js" lint --config "$here/redocly.yaml" --format stylish "$1"
}

if ! lint "$document" >"$cache/lint.log" 2>&1; then
  grep -v '[║╔╚]' "$cache/lint.log"
  echo "openapi: INVALID: $document does not pass the lint above"
  exit 1
fi
echo "openapi: $(basename "$document") is valid OpenAPI 3.1 and passes the lint ($(grep -c 'operationId:' "$document") operations)"

if [ "${OPENAPI_LINT_SELF_CHECK:-1}" != 0 ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  # broken NAME PERL_SUBSTITUTION: a copy of the document with one change that the lint must reject.
  broken() {
    local name="$1" edit="$2" copy="$work/$1.yaml"
    perl -0pe "$edit" "$document" >"$copy"
    if cmp -s "$document" "$copy"; then
      echo "openapi: self-check '$name': the edit changed nothing (the self-check is out of date)"
      exit 1
    fi
    if lint "$copy" >"$work/$name.log" 2>&1; then
      echo "openapi: self-check FAILED: the broken copy '$name' passed the lint"
      exit 1
    fi
    echo "openapi: self-check: '$name' rejected: $(grep -m1 -E 'rule|Failed|error' "$work/$name.log" | sed -E 's/^ +//')"
  }
  broken "dangling \$ref" 's/#\/components\/responses\/NotFound/#\/components\/responses\/NoSuchThing/'
  broken "example off its schema" 's/state: processed\n/state: done\n/'
  broken "OpenAPI 3.1 schema" 's/      name: id\n      in: path\n/      name: id\n      in: body\n/'
fi
