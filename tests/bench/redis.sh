#!/usr/bin/env bash
# One server on its sled store against two servers sharing one Redis, on the same load
# scenarios, for the "Several servers on Redis" table of BENCHMARKS.md.
#
#   tests/bench/redis.sh
#
# Needs Debian's redis-server (tests/run.sh installs it). Everything runs on this machine:
# the two servers, Redis and the load generator share its cores, so the two-server figures
# show what sharing the store costs, not what a second machine would add. CPU and memory are
# those of every server process, plus redis-server's for the shared setup. Loopback only;
# every process it starts is stopped when it ends. Writes the section "Several servers on
# Redis" to tests/bench/redis.md (which tests/bench/report.py puts into BENCHMARKS.md), and
# prints it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root=$(pwd)
bench=${BENCH_DIR:-$root/target/bench-redis}
redis_server=${REDIS_SERVER:-/usr/bin/redis-server}
rm -rf "$bench"
mkdir -p "$bench"

cargo build --release -q -p workshop-server --bin workshop-server
cargo build --release -q -p workshop-tests --bin workshop-load
server_bin="$root/target/release/workshop-server"
load_bin="$root/target/release/workshop-load"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

pids=()
# Stops what start started, last first: the servers, then the Redis they flush to.
stop_all() {
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  pids=()
}
trap stop_all EXIT

wait_port() {
  for _ in $(seq 1 100); do
    if (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "error: nothing listens on $1" >&2
  return 1
}

limits=(--log warn --exempt-loopback --max-connections 20000 --max-connections-per-workshop 1000
  --max-updates-per-sec 100000 --max-update-burst 100000)

# start SETUP: starts one server on sled, or Redis and two servers on it; sets urls, api, watched.
start() {
  urls=() watched=()
  case "$1" in
    sled)
      "$server_bin" --bind 127.0.0.1:18531 --data-dir "$bench/data" "${limits[@]}" >/dev/null &
      pids+=($!) watched+=(--server-pid $!)
      wait_port 18531
      urls+=(--url ws://127.0.0.1:18531/ws)
      ;;
    redis)
      "$redis_server" --bind 127.0.0.1 --port 18530 --appendonly yes --appendfsync always \
        --save '' --dir "$bench" >/dev/null &
      pids+=($!) watched+=(--server-pid $!)
      wait_port 18530
      for port in 18532 18533; do
        "$server_bin" --bind "127.0.0.1:$port" --redis redis://127.0.0.1:18530/0 \
          "${limits[@]}" >/dev/null &
        pids+=($!) watched+=(--server-pid $!)
        wait_port "$port"
        urls+=(--url "ws://127.0.0.1:$port/ws")
      done
      ;;
  esac
  api=http://127.0.0.1:${urls[1]##*:}
  api=${api%/ws}
}

scenarios=(
  "small rooms|--workshops 100 --participants 10 --interval-ms 1000"
  "many workshops|--workshops 50 --participants 20 --interval-ms 1000"
  "hot plenary|--workshops 1 --participants 50 --interval-ms 200"
  "durable burst|--workshops 1 --participants 10 --interval-ms 10"
)

section="$root/tests/bench/redis.md"
{
echo "## Several servers on Redis"
echo
echo "\`tests/bench/redis.sh\`, $(date -u +%Y-%m-%d): one server on its sled store against two"
echo "servers sharing one Redis (\`appendfsync always\`), participants spread over both, on"
echo "this machine's $(nproc) cores. The two servers, Redis and the load generator share those"
echo "cores, so this shows what sharing the store costs, not what a second machine adds. CPU and"
echo "peak RSS add up every server process, and redis-server's in the shared setup. Each run:"
echo "3 s warm-up, 15 s measured."
echo
echo "| scenario | setup | edits/s | p50 ms | p99 ms | CPU % of a core | peak RSS MiB | errors |"
echo "|---|---|---|---|---|---|---|---|"
for entry in "${scenarios[@]}"; do
  name=${entry%%|*}
  read -r -a shape <<< "${entry#*|}"
  for setup in sled redis; do
    start "$setup"
    out="$bench/${name// /-}-$setup.json"
    "$load_bin" "${urls[@]}" --create-api "$api" "${watched[@]}" live "${shape[@]}" \
      --warmup-secs 3 --duration-secs 15 > "$out" 2> "$bench/${name// /-}-$setup.err"
    stop_all
    rm -rf "$bench/data" "$bench/appendonlydir"
    python3 - "$out" "$name" "$setup" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
setup = {"sled": "one server, sled", "redis": "two servers, one Redis"}[sys.argv[3]]
lat, server = r["latency"], r["server"]
print(f"| {sys.argv[2]} | {setup} | {r['sent_per_sec']:.0f} | {lat['p50_ms']:.2f} | "
      f"{lat['p99_ms']:.2f} | {server['cpu_percent']:.0f} | "
      f"{server['peak_rss_bytes'] / 2**20:.0f} | {r['errors'] + r['disconnects']} |")
PY
  done
done
echo
echo "Scenarios: small rooms, 100 workshops × 10 participants, one edit each a second; many"
echo "workshops, 50 × 20, one a second; hot plenary, 1 × 50, five a second each; durable burst,"
echo "1 × 10, a hundred a second each."
} > "$section.new"
mv "$section.new" "$section"
cat "$section"
