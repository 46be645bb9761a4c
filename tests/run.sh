#!/usr/bin/env bash
# The one test command of this repository: installs Debian's Chromium (for the browser tests),
# nginx (for the TLS tests) and redis-server (for the Redis tests) when they are missing, and
# the pinned Node packages of the Yjs interoperability and browser tests, then checks
# formatting, lints and runs every test of the workspace and of the page.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Installs Debian's package $2 when the binary $1 is missing ($3: which tests need it).
need() {
  local binary="$1" package="$2" users="$3"
  if [ -x "$binary" ]; then
    return
  fi
  echo "==> install $package ($binary is missing; $users use it)"
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: $binary is missing and there is no apt-get to install Debian's $package" >&2
    echo "       package: install it by hand, then run tests/run.sh again" >&2
    exit 1
  fi
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "error: $binary is missing and installing Debian's $package package needs root:" >&2
    echo "       run 'apt-get install --no-install-recommends $package' as root, then run" >&2
    echo "       tests/run.sh again" >&2
    exit 1
  fi
  if [ -z "${apt_updated:-}" ]; then
    ${as_root[@]+"${as_root[@]}"} apt-get update
    apt_updated=1
  fi
  ${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "$package"
  if [ ! -x "$binary" ]; then
    echo "error: $binary is still missing after installing Debian's $package package" >&2
    exit 1
  fi
}

# The browser tests drive Chromium: $CHROMIUM when set, else Debian's /usr/bin/chromium.
need "${CHROMIUM:-/usr/bin/chromium}" chromium "the browser tests"
# The TLS tests put Debian's nginx, configured as deploy/nginx/workshop.conf, in front of the
# server: $NGINX when set, else /usr/sbin/nginx.
need "${NGINX:-/usr/sbin/nginx}" nginx "the TLS tests"
# The Redis tests start Debian's redis-server, one per test on a free loopback port:
# $REDIS_SERVER when set, else /usr/bin/redis-server.
need "${REDIS_SERVER:-/usr/bin/redis-server}" redis-server "the Redis tests"

echo "==> npm ci (tests/node)"
(cd tests/node && npm ci --no-audit --no-fund)

echo "==> cargo fmt --check"
cargo fmt --all -- --check

echo "==> cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

echo "==> cargo test"
cargo test --workspace

# The page's own unit tests (chart maths and rendering); the server's build above ran
# `npm ci` in web/, which they use.
echo "==> node --test web/test"
node --test web/test/
