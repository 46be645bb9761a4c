#!/usr/bin/env bash
# What one loaded workshop that nobody is connected to costs the server: creates N workshops
# from the template, restarts the server so that none is loaded, then loads each (one
# `GET /results` each, which keeps it loaded) and prints the growth of the server's resident
# memory per workshop.
#
#   tests/bench/idle-rooms.sh            # 200 workshops, this checkout's release build
#   tests/bench/idle-rooms.sh 500 path/to/workshop-server   # another build, an older one say
#
# Loopback only; the server it starts is stopped when it ends.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
count=${1:-200}
server_bin=${2:-}
if [ -z "$server_bin" ]; then
  cargo build --release -q -p workshop-server --bin workshop-server
  server_bin=target/release/workshop-server
fi
data=$(mktemp -d)
port=$((20000 + RANDOM % 1000))
pid=""
stop() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; fi
}
trap 'stop; rm -rf "$data"' EXIT
# Builds that limit loopback clients per address need the exemption; older ones have no flag.
exempt=()
if "$server_bin" --help | grep -q -- --exempt-loopback; then exempt=(--exempt-loopback); fi
start() {
  "$server_bin" --bind "127.0.0.1:$port" --data-dir "$data" --log warn --idle-unload-secs 3600 \
    "${exempt[@]}" >/dev/null 2>>"$data.log" &
  pid=$!
  for _ in $(seq 1 100); do
    if (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "error: the server did not start" >&2
  return 1
}
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }

start
workshops=()
for _ in $(seq 1 "$count"); do
  created=$(curl -sf -X POST -H 'content-type: application/json' \
    -d '{"title":"Autumn workshop","place":"Northshire"}' "http://127.0.0.1:$port/api/workshops")
  workshops+=("$(python3 -c 'import json, sys; c = json.load(sys.stdin); print(c["id"], c["tokens"]["viewer"])' <<<"$created")")
done
stop
start
curl -sf -o /dev/null "http://127.0.0.1:$port/healthz"
before=$(rss_kib)
for entry in "${workshops[@]}"; do
  read -r id token <<<"$entry"
  curl -sf -o /dev/null -H "authorization: Bearer $token" "http://127.0.0.1:$port/api/workshops/$id/results"
done
after=$(rss_kib)
echo "loaded idle workshops: $count; server RSS ${before} KiB -> ${after} KiB; $(( (after - before) / count )) KiB per workshop"
