#!/usr/bin/env bash
# Ingest benchmark: wrk drives signed ~16 KB webhook deliveries over loopback at the real
# server, first with SQLite persistence (the default), then with storage.driver = memory
# (persistence off), and reports throughput, latency percentiles and idle RSS.
# Usage: tests/bench/bot/ingest.sh [SECONDS] [CONNECTIONS]   (after scripts/setup.sh)
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
secs=${1:-10}
conns=${2:-32}
bin=$root/build/bin/cc-ci
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
secret=bench-secret
python3 "$root/tests/bench/bot/make_bodies.py" \
  "$root/../shared/gitea/payloads/pull_request_synchronized.json" "$work/bodies" 10000 "$secret"

run() {  # $1 = driver
  local data=$work/data-$1
  printf '[storage]\ndriver = %s\n' "$1" >"$work/$1.ini"
  CC_CI_WEBHOOK_SECRET=$secret "$bin" serve --config "$work/$1.ini" --listen 127.0.0.1:0 \
    --data-dir "$data" >"$work/$1.out" 2>"$work/$1.log" &
  local pid=$!
  for _ in $(seq 100); do grep -q listening "$work/$1.out" 2>/dev/null && break; sleep 0.05; done
  local url
  url=$(grep -o 'http://[0-9.:]*' "$work/$1.out" | head -1)
  sleep 1
  echo "== driver=$1: idle RSS $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status)"
  BENCH_BODIES=$work/bodies wrk -t2 -c"$conns" -d"${secs}s" --latency \
    -s "$root/tests/bench/bot/ingest.lua" "$url" | grep -E 'Requests/sec|Latency|50%|75%|90%|99%|Non-2xx|requests in|Socket errors'
  echo "   busy RSS $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status)"
  if [[ $1 == sqlite ]]; then
    echo "   runs queued: $(curl -s "$url/metrics" | awk '/^ccci_queue_depth\{state="queued"\}/ {print $2}')," \
         "deliveries stored: $(sqlite3 "$data/cc-ci.db" 'select count(*) from deliveries' 2>/dev/null || echo '?')"
  fi
  kill "$pid"
  wait "$pid" || true
}

echo "cc-ci ingest benchmark: ${secs}s, $conns connections, $(nproc) cores, ~16 KB signed bodies"
run sqlite
run memory
