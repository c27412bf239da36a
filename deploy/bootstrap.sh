#!/usr/bin/env bash
# Installs every Debian 12 package that building, running, testing and benchmarking jubao need,
# then the browser tests' npm packages (tests/browser, pinned by its package-lock.json).
# Non-interactive; uses sudo when not root; does nothing when everything is present.
#   deploy/bootstrap.sh          build + run + test packages
#   deploy/bootstrap.sh bench    also the benchmark peers (wrk, nginx, redis-benchmark, perf)
set -euo pipefail

pkgs=(
  # build
  gcc make pkg-config
  libmicrohttpd-dev libhiredis-dev libpcre2-dev libsodium-dev libjansson-dev
  libidn2-dev libpsl-dev publicsuffix libutf8proc-dev libvectorscan-dev
  libjpeg62-turbo-dev libpng-dev libwebp-dev liblinear-dev libopencc-dev zlib1g-dev
  libcurl4-openssl-dev
  # run
  redis-server redis-tools
  # test
  libcmocka-dev curl ca-certificates python3 python3-pytest python3-requests python3-redis faketime
  python3-pil
  # fuzz targets (tests/fuzz): clang's libFuzzer with ASan + UBSan
  clang libclang-rt-14-dev
  # browser tests (tests/browser): Debian's Chromium driven by playwright-core on node
  chromium fonts-noto-cjk nodejs npm
)
if [ "${1:-}" = bench ]; then
  pkgs+=(wrk nginx-light redis-tools linux-perf spamassassin gettext)
fi

missing=()
for p in "${pkgs[@]}"; do
  st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$st" = installed ] && continue
  # a nodejs built elsewhere (e.g. NodeSource) carries its own npm and conflicts with Debian's
  [ "$p" = npm ] && command -v npm >/dev/null && continue
  missing+=("$p")
done

# The browser tests' node_modules, when missing or older than the lockfile (after apt: npm).
browser_deps() {
  local dir=tests/browser
  [ -f "$dir/package-lock.json" ] || return 0
  [ -d "$dir/node_modules" ] && [ ! "$dir/package-lock.json" -nt "$dir/node_modules" ] && return 0
  echo "bootstrap: npm ci in $dir"
  npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >/dev/null
  touch "$dir/node_modules"
}

if [ ${#missing[@]} -eq 0 ]; then
  browser_deps
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "bootstrap: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "bootstrap: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
# Services are not started by the packages' scripts: jubao runs its own private redis-server.
"${sudo[@]}" env RUNLEVEL=1 apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
browser_deps
