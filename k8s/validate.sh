#!/usr/bin/env bash
# Validates the Kubernetes manifests offline (no cluster, no kubectl): YAML, schema types/enums/required
# fields, unknown fields (typos such as periodSecondz), and references between the objects. See validate.mjs.
#
#   k8s/validate.sh            # the manifests next to this script
#   k8s/validate.sh DIR        # another copy (DIR must hold a kustomization.yaml)
#
# Self-installing: the pinned npm packages of validate-deps/ go into a cache directory (default
# <repo>/target/k8s-validate, override with K8S_VALIDATE_CACHE), once; later runs are offline and take ~1-2 s.
# Needs node >= 18 and npm. yamllint (Debian package) is used as well when it is installed.
# The last line is a one-line summary; the exit status is non-zero on any invalid manifest.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
dir="$(cd "${1:-$here}" && pwd)"
cache="${K8S_VALIDATE_CACHE:-$repo/target/k8s-validate}"

command -v node >/dev/null 2>&1 || { echo "k8s: node is not installed (apt-get install nodejs npm)" >&2; exit 1; }
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 18 ]; then
  echo "k8s: node >= 18 needed, found $(node --version)" >&2
  exit 1
fi

# Install (npm ci from the committed lockfile) when missing or when the pinned versions changed.
stamp="$cache/.installed"
want="$(cat "$here/validate-deps/package.json" "$here/validate-deps/package-lock.json" | cksum)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || [ ! -d "$cache/node_modules" ]; then
  mkdir -p "$cache"
  cp "$here/validate-deps/package.json" "$here/validate-deps/package-lock.json" "$cache/"
  echo "k8s: installing the validators into $cache (once)" >&2
  if ! (cd "$cache" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >"$cache/npm.log" 2>&1); then
    cat "$cache/npm.log" >&2
    echo "k8s: npm ci failed" >&2
    exit 1
  fi
  echo "$want" >"$stamp"
fi

# YAML style and syntax (optional tool: a second opinion on syntax, indentation and duplicate keys).
if command -v yamllint >/dev/null 2>&1; then
  yamllint -s -f parsable -d '{extends: default, rules: {line-length: {max: 120}, document-start: disable,
    comments: {min-spaces-from-content: 1}, truthy: {check-keys: false}}}' "$dir"/*.yaml || {
    echo "k8s: INVALID: yamllint failed ($dir)"
    exit 1
  }
fi

exec node "$here/validate.mjs" "$cache" "$dir"
