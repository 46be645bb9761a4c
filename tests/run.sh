#!/usr/bin/env bash
# The one test command of this repository: installs the pinned Node packages of the Yjs
# interoperability tests, then checks formatting, lints and runs every test of the workspace.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "==> npm ci (tests/node)"
(cd tests/node && npm ci --no-audit --no-fund)

echo "==> cargo fmt --check"
cargo fmt --all -- --check

echo "==> cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

echo "==> cargo test"
cargo test --workspace
