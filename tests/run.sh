#!/usr/bin/env bash
# The one test command of this repository: installs Debian's Chromium (for the browser tests)
# when it is missing and the pinned Node packages of the Yjs interoperability and browser
# tests, then checks formatting, lints and runs every test of the workspace and of the page.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The browser tests drive Chromium: $CHROMIUM when set, else Debian's /usr/bin/chromium.
chromium="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  echo "==> install chromium ($chromium is missing)"
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: $chromium is missing and there is no apt-get to install Debian's chromium" >&2
    echo "       package: install Chromium and set CHROMIUM to its binary" >&2
    exit 1
  fi
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "error: $chromium is missing and installing Debian's chromium package needs root:" >&2
    echo "       run 'apt-get install --no-install-recommends chromium' as root, or set" >&2
    echo "       CHROMIUM to a Chromium binary, then run tests/run.sh again" >&2
    exit 1
  fi
  ${as_root[@]+"${as_root[@]}"} apt-get update
  ${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends chromium
  if [ ! -x "$chromium" ]; then
    echo "error: $chromium is still missing after installing Debian's chromium package" >&2
    echo "       (which installs /usr/bin/chromium): unset CHROMIUM or point it at a Chromium binary" >&2
    exit 1
  fi
fi

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
