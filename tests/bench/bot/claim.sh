#!/usr/bin/env bash
# Claim benchmark (issue 15): 4 workers, each with its own connection, claim 10,000 queued runs
# through RunQueue::ClaimNext, on SQLite (one file) and on a throwaway durable PostgreSQL
# (tests/pg/pg_lane.sh --durable). Prints claims/s and claim latency p50/p99 per driver,
# RUNS times each (median by eye). HISTORY finished runs are stored before the queued ones.
#   tests/bench/bot/claim.sh [RUNS_QUEUED] [WORKERS] [REPEATS] [HISTORY]
# CLAIM_BENCH=/path/to/claim_bench runs another build's benchmark (a before/after comparison).
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
queued=${1:-10000} workers=${2:-4} repeats=${3:-3} history=${4:-0}
bench=${CLAIM_BENCH:-$root/build/bin/claim_bench}
[[ -x $bench ]] || cmake --build "$root/build" --target claim_bench >/dev/null
work=$(mktemp -d)
trap '[[ -d $work/pg ]] && "$root/tests/pg/pg_lane.sh" down "$work/pg"; rm -rf "$work"' EXIT
"$root/tests/pg/pg_lane.sh" up "$work/pg" --durable
pg_url=$(cat "$work/pg/url")
for r in $(seq "$repeats"); do
  "$bench" sqlite "$work/claim-$r.db" "$queued" "$workers" "$history" 2>&1 | grep -v event=store.migrated
  psql -q "$pg_url" -c "CREATE DATABASE claim_$r"
  "$bench" postgres "${pg_url/dbname=postgres/dbname=claim_$r}" "$queued" "$workers" "$history" 2>&1 |
    grep -v event=store.migrated
done
