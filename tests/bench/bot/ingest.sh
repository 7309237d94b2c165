#!/usr/bin/env bash
# Ingest benchmark: wrk drives signed ~16 KB webhook deliveries over loopback at the real
# server and reports throughput, latency percentiles and RSS, per storage driver. Every
# delivery is a new body (ingest.lua signs each one), so none is a duplicate: each one queues a
# run, supersedes its PR's previous one and is persisted (the SQLite rows are counted).
#
# Usage (after scripts/setup.sh):
#   tests/bench/bot/ingest.sh [--compare] [--runs N] [--drivers "sqlite memory postgres"] [SECONDS] [CONNECTIONS]
#   --compare  also runs bare_server (Poco + OpenSSL HMAC + RapidJSON, no store) on the same
#              bodies in the same run, and prints each driver's ratio to it
#   --runs N   repeats every target N times, interleaved, and prints median and range
#   --drivers  the storage drivers to run cc-ci with (default: sqlite memory); postgres starts a
#              throwaway PostgreSQL (tests/pg/pg_lane.sh, durable: fsync and synchronous_commit
#              on, as a real server) and gives each run a fresh database
#   --load     also runs cc-ci with SQLite while the rest of the process is busy (target
#              sqlite+load: a live log streamed to 20 SSE clients, 1,000 outbox messages to
#              drain; see load.sh)
#   CCCI_BASE=BIN in the environment: also runs that build (a baseline) as DRIVER@base
#              beside each DRIVER in every round, for a before/after in one run
#   CCCI_INI="[section]\nkey = value" in the environment: appended to the INI of each cc-ci
#              target that is not @base (printf %b), to measure one setting
#   BENCH_SIGN=lua in the environment: wrk signs each delivery in Lua, not through OpenSSL
#              (ingest.lua; 16-19 us more of wrk's CPU per request, as the tables before
#              2026-12-03 22:47 were measured)
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
source "$root/tests/bench/bot/load.sh"
compare=0 load=0 runs=1 drivers="sqlite memory"
while [[ $# -gt 0 && $1 == --* ]]; do
  case $1 in
    --compare) compare=1; shift ;;
    --runs) runs=$2; shift 2 ;;
    --drivers) drivers=$2; shift 2 ;;
    --load) load=1; shift ;;
    *) echo "ingest.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
secs=${1:-10}
conns=${2:-32}
bin=${CCCI_BIN:-$root/build/bin/cc-ci}  # CCCI_BIN: another build to measure, e.g. a baseline
# CCCI_BASE: a baseline build, run as target DRIVER@base beside each DRIVER in every round
bare=$root/build/bin/bare_server
if ((compare)) && [[ ! -x $bare ]]; then
  cmake --build "$root/build" --target bare_server >/dev/null
fi
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; [[ -d $work/pg ]] && "$root/tests/pg/pg_lane.sh" down "$work/pg"; rm -rf "$work"' EXIT
if [[ " $drivers " == *" postgres "* ]]; then
  "$root/tests/pg/pg_lane.sh" up "$work/pg" --durable
  pg_url=$(cat "$work/pg/url")
fi
secret=bench-secret
python3 "$root/tests/bench/bot/make_bodies.py" \
  "$root/../shared/gitea/payloads/pull_request_synchronized.json" "$work/bodies" 500

# utime + stime of a process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# "name ticks" for each thread of a process, its name without a trailing -N (http-hook-0 ->
# http-hook), summed per name: cc-ci names its threads for what they do.
thread_ticks() {
  for t in /proc/"$1"/task/*; do
    printf '%s %s\n' "$(cat "$t/comm" 2>/dev/null)" "$(awk '{print $14 + $15}' "$t/stat" 2>/dev/null)"
  done | awk 'NF == 2 {sub(/-[0-9]+$/, "", $1); t[$1] += $2} END {for (n in t) print n, t[n]}'
}

# utime + stime of the bench's PostgreSQL server: its postmaster and every process it runs
# (the backends serving cc-ci, the WAL writer, the checkpointer), in clock ticks. 0 without one.
pg_ticks() {
  local dir pm
  [[ -f $work/pg/dir ]] || { echo 0; return; }
  dir=$(cat "$work/pg/dir")
  pm=$(head -1 "$dir/data/postmaster.pid" 2>/dev/null) || { echo 0; return; }
  for p in "$pm" $(pgrep -P "$pm"); do cat "/proc/$p/stat" 2>/dev/null; done |
    awk '{t += $14 + $15} END {print t + 0}'
}

# wrk's latency ("18.40ms", "950.00us", "1.20s") in milliseconds.
to_ms() { awk '{ v=$1; if (v ~ /us$/) { sub(/us$/,"",v); v/=1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v) } else if (v ~ /s$/) { sub(/s$/,"",v); v*=1000 } printf "%.2f", v }' <<<"$1"; }

# Starts the target ($1: bare or a driver), drives it, appends "target rps p99_ms" to results.
# Each start empties its .out file first, in this shell: the redirection of a background child
# may run after the wait below has read the previous start's "listening" line and address
# (a dead port, or a first start killed before it made its database).
run() {
  local target=$1 name=${1%@base} exe=$bin pid url
  local driver=${name%+load} dbname=bench_$round
  if [[ $target == *@base ]]; then exe=$CCCI_BASE dbname=bench_base_$round; fi
  if [[ $target == bare ]]; then
    : >"$work/$target.out"
    "$bare" "$secret" >"$work/$target.out" 2>"$work/$target.log" &
    pid=$!
  else
    local data=$work/data-$target-$round
    printf '[storage]\ndriver = %s\n' "$driver" >"$work/$target.ini"
    [[ $target == *@base ]] || printf '%b\n' "${CCCI_INI:-}" >>"$work/$target.ini"
    local db_url=""
    if [[ $driver == postgres ]]; then
      psql -q "$pg_url" -c "CREATE DATABASE $dbname"
      db_url="${pg_url/dbname=postgres/dbname=$dbname}"
    fi
    if [[ $name == *+load ]]; then  # migrated by a first start, then seeded
      : >"$work/$target.out"
      CC_CI_WEBHOOK_SECRET=$secret "$exe" serve --config "$work/$target.ini" \
        --listen 127.0.0.1:0 --data-dir "$data" >"$work/$target.out" 2>/dev/null &
      pid=$!
      for _ in $(seq 600); do grep -q listening "$work/$target.out" 2>/dev/null && break; sleep 0.05; done
      kill "$pid"
      wait "$pid" || true
      load_seed "$data" 2500
    fi
    : >"$work/$target.out"
    CC_CI_DATABASE_URL=$db_url CC_CI_WEBHOOK_SECRET=$secret "$exe" serve --config "$work/$target.ini" --listen 127.0.0.1:0 \
      --data-dir "$data" >"$work/$target.out" 2>"$work/$target.log" &
    pid=$!
  fi
  for _ in $(seq 600); do grep -q listening "$work/$target.out" 2>/dev/null && break; sleep 0.05; done
  url=$(grep -o 'http://[0-9.:]*' "$work/$target.out" | head -1)
  sleep 1
  local idle
  idle=$(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status)
  if [[ $name == *+load ]]; then load_start "$data" "$url" "$secs"; fi
  local cpu0 busy pg0
  cpu0=$(cpu_ticks "$pid")
  thread_ticks "$pid" >"$work/threads0"
  pg0=$(pg_ticks)
  BENCH_SECRET=$secret BENCH_BODIES=$work/bodies wrk -t2 -c"$conns" -d"${secs}s" --latency \
    -s "$root/tests/bench/bot/ingest.lua" "$url" >"$work/wrk.out"
  busy=$(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status)
  local load_line=""
  if [[ $name == *+load ]]; then load_line=$(load_stop "$data"); fi
  local rps p99 requests cpu_us pg_us=""
  rps=$(awk '/Requests\/sec/ {printf "%d", $2}' "$work/wrk.out")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$work/wrk.out")")
  requests=$(awk '/requests in/ {print $1}' "$work/wrk.out")
  # CPU per request, counting the work the deliveries left behind (reports, the outbox):
  # until the server has been quiet for a second. Unlike req/s, hardly moved by other
  # processes on the machine.
  local prev now
  now=$(cpu_ticks "$pid")
  for _ in $(seq 60); do
    prev=$now
    sleep 1
    now=$(cpu_ticks "$pid")
    ((now - prev < 5)) && break
  done
  cpu_us=$(awk -v t=$((now - cpu0)) -v hz="$(getconf CLK_TCK)" -v n="$requests" \
    'BEGIN {printf "%d", (n > 0 ? t * 1e6 / hz / n : 0)}')
  local pg_cpu=$(($(pg_ticks) - pg0))
  # Where cc-ci's CPU went, per thread (the bare server's are unnamed): us per request.
  local by_thread=""
  if [[ $target != bare ]]; then
    by_thread=$(thread_ticks "$pid" | awk -v hz="$(getconf CLK_TCK)" -v n="$requests" '
      NR == FNR {t0[$1] = $2; next}
      {d = $2 - t0[$1]; if (n > 0 && d > 0) printf "%s %d\n", $1, d * 1e6 / hz / n}' \
      "$work/threads0" - | sort -k2,2nr | awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2}')
  fi
  echo "== $target (run $round): $rps req/s, p99 $p99 ms, $cpu_us us CPU/request," \
       "idle RSS $idle, busy RSS $busy"
  grep -E 'Non-2xx|Socket errors' "$work/wrk.out" || true
  if [[ -n $by_thread ]]; then echo "   CPU us/request by thread: $by_thread"; fi
  if [[ -n $load_line ]]; then echo "$load_line"; fi
  local persisted=-  # deliveries/s in the database at the end (the bare server keeps none)
  if [[ $driver == sqlite ]]; then
    local stored
    stored=$(sqlite3 "$data/cc-ci.db" 'select count(*) from deliveries' 2>/dev/null || echo 0)
    persisted=$((stored / secs))
    echo "   deliveries stored: $stored ($persisted/s persisted)"
  elif [[ $driver == postgres ]]; then
    local stored
    stored=$(psql -tA "${pg_url/dbname=postgres/dbname=$dbname}" -c 'select count(*) from deliveries' 2>/dev/null || echo 0)
    # The server's CPU over the same span as cc-ci's: with cc-ci and wrk on the same cores, it
    # is what bounds deliveries/s.
    pg_us=$(awk -v t="$pg_cpu" -v hz="$(getconf CLK_TCK)" -v n="$stored" \
      'BEGIN {printf "%d", (n > 0 ? t * 1e6 / hz / n : 0)}')
    persisted=$((stored / secs))
    echo "   deliveries stored: $stored ($persisted/s persisted)," \
         "PostgreSQL CPU $pg_us us/delivery"
  fi
  echo "$target $rps $p99 $cpu_us ${pg_us:--} $persisted" >>"$work/results"
  kill "$pid"
  wait "$pid" || true
}

targets=$drivers
((compare)) && targets="bare $drivers"
((load)) && targets="$targets sqlite+load"
if [[ -n ${CCCI_BASE:-} ]]; then  # each cc-ci target also with the baseline build, just before
  with_base=""
  for t in $targets; do
    [[ $t != bare ]] && with_base+=" $t@base"
    with_base+=" $t"
  done
  targets=$with_base
fi
echo "cc-ci ingest benchmark: ${secs}s x $runs, $conns connections, $(nproc) cores, ~16 KB signed bodies"
for round in $(seq "$runs"); do
  for t in $targets; do run "$t"; done
done

# Summary: median and range per target, and the ratio of medians to the bare server.
echo
printf '%-14s %10s %13s %8s %15s %8s %8s %8s %13s\n' target "req/s med" "range" "p99 ms" "range" \
  "CPU us/req" "x bare" "PG us/dlv" "persisted/s"
bare_med=""
# Median and range of column $2 of target $1's results.
stats() { awk -v t="$1" -v c="$2" '$1 == t {print $c}' "$work/results" | sort -g |
  awk '{v[NR]=$1} END {n=NR; print v[int((n+1)/2)], v[1], v[n]}'; }
for t in $targets; do
  read -r rmed rmin rmax < <(stats "$t" 2)
  read -r pmed pmin pmax < <(stats "$t" 3)
  read -r cmed _ _ < <(stats "$t" 4)
  read -r gmed _ _ < <(stats "$t" 5)
  read -r _ smin smax < <(stats "$t" 6)
  persisted="-"
  [[ $smin != - ]] && persisted="$smin-$smax"
  [[ $t == bare ]] && bare_med=$rmed
  ratio="-"
  [[ -n $bare_med && $bare_med -gt 0 ]] && ratio=$(awk -v a="$rmed" -v b="$bare_med" 'BEGIN {printf "%.2f", a/b}')
  printf '%-14s %10s %13s %8s %15s %8s %8s %8s %13s\n' "$t" "$rmed" "$rmin-$rmax" "$pmed" \
    "$pmin-$pmax" "$cmed" "$ratio" "$gmed" "$persisted"
done
