# Sourced by the offline validators (k8s/validate.sh, deploy/validate.sh): node >= 18, and their pinned npm
# packages installed once into a cache directory from the committed lockfile, again only when the pins change.
#
#   pinned_npm_install LABEL DEPS_DIR CACHE_DIR [extra npm ci arguments...]
#
# DEPS_DIR holds package.json, package-lock.json and, if present, .npmrc. Exits the calling script on failure,
# with LABEL ("k8s", "deploy") leading each message.
pinned_npm_install() {
  local label="$1" deps="$2" cache="$3"
  shift 3
  command -v node >/dev/null 2>&1 || { echo "$label: node is not installed (apt-get install nodejs npm)" >&2; exit 1; }
  local node_major
  node_major="$(node -p 'process.versions.node.split(".")[0]')"
  if [ "$node_major" -lt 18 ]; then
    echo "$label: node >= 18 needed, found $(node --version)" >&2
    exit 1
  fi
  local stamp="$cache/.installed" want
  want="$(cat "$deps/package.json" "$deps/package-lock.json" | cksum)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || [ ! -d "$cache/node_modules" ]; then
    mkdir -p "$cache"
    cp "$deps/package.json" "$deps/package-lock.json" "$cache/"
    if [ -f "$deps/.npmrc" ]; then
      cp "$deps/.npmrc" "$cache/"
    fi
    echo "$label: installing the validators into $cache (once)" >&2
    if ! (cd "$cache" && npm ci "$@" --no-audit --no-fund --ignore-scripts --loglevel=error >"$cache/npm.log" 2>&1); then
      cat "$cache/npm.log" >&2
      echo "$label: npm ci failed" >&2
      exit 1
    fi
    echo "$want" >"$stamp"
  fi
}
