#!/usr/bin/env bash
# Validates the Kubernetes manifests offline (no cluster): renders every overlay with `kubectl kustomize`, then
# checks the rendered objects (schema types/enums/required fields, unknown fields such as periodSecondz,
# references between the objects) and each overlay's own assertions (aws: Ingress without /admin, KEDA, IRSA,
# pinned images; local: the emulators and endpoint overrides; both: the worker's liveness probe,
# NetworkPolicies, hardened containers). Then a self-check: broken copies of the overlays must be rejected.
# See validate.mjs.
#
#   k8s/validate.sh              # every overlay in k8s/overlays/, and the self-check
#   k8s/validate.sh DIR...       # only these overlay directories (no self-check)
#
# Needs kubectl (its built-in kustomize renders the overlays; KUBECTL=/path/to/kubectl to pick one), node >= 18
# and npm. Self-installing: the pinned npm packages of validate-deps/ go into a cache directory (default
# <repo>/target/k8s-validate, override with K8S_VALIDATE_CACHE), once; later runs are offline.
# yamllint (Debian package) is used as well when it is installed. K8S_VALIDATE_SELF_CHECK=0 skips the self-check.
# The last line is a one-line summary; the exit status is non-zero on any invalid manifest.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
cache="${K8S_VALIDATE_CACHE:-$repo/target/k8s-validate}"
kubectl="${KUBECTL:-kubectl}"

if ! command -v "$kubectl" >/dev/null 2>&1; then
  echo "k8s: INVALID: '$kubectl' not found: it renders the overlays (kubectl kustomize; kubectl 1.27+ has kustomize 5)." \
    "Install kubectl, or set KUBECTL=/path/to/kubectl" >&2
  exit 1
fi
kubectl="$(command -v "$kubectl")"
# node >= 18 and the pinned npm packages (tools/pinned-npm.sh).
. "$repo/tools/pinned-npm.sh"
pinned_npm_install k8s "$here/validate-deps" "$cache"

# YAML style and syntax of the sources (optional tool: a second opinion on indentation and duplicate keys).
if command -v yamllint >/dev/null 2>&1; then
  yamllint -s -f parsable -d '{extends: default, rules: {line-length: {max: 120}, document-start: disable,
    comments: {min-spaces-from-content: 1}, truthy: {check-keys: false}}}' "$here/base" "$here/overlays" || {
    echo "k8s: INVALID: yamllint failed"
    exit 1
  }
fi

if [ "$#" -eq 0 ] && [ "${K8S_VALIDATE_SELF_CHECK:-1}" != 0 ]; then
  exec node "$here/validate.mjs" "$cache" "$here" "$kubectl" --self-check
fi
exec node "$here/validate.mjs" "$cache" "$here" "$kubectl" "$@"
