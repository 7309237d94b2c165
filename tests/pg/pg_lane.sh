#!/bin/bash
# A throwaway PostgreSQL server for the store tests (ctest fixture `postgres`) and the ingest
# bench. `up STATE [--durable]` runs initdb and pg_ctl in a fresh temp dir as an unprivileged
# user (postgres when run as root: initdb refuses root), listening only on a unix socket in
# that dir; it writes STATE/url (a libpq connection string) on success, or STATE/error and
# exits 1. `down STATE` stops the server and removes the temp dir and STATE. `stop STATE` and
# `start STATE` stop it (fast shutdown: sessions are cut, committed data stays) and start it
# again on the same data, for tests of what a database restart does to cc-ci. Without
# --durable the server skips fsync: tests need no crash safety, and it is much faster.
set -euo pipefail
cmd=${1:?usage: pg_lane.sh up|down|stop|start STATE [--durable]}
state=${2:?state dir}

as_owner() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

fail() {
  mkdir -p "$state"
  echo "$*" >"$state/error"
  echo "pg_lane: $*" >&2
  exit 1
}

case $cmd in
  up)
    durable=0
    [[ ${3:-} == --durable ]] && durable=1
    [[ -d $state ]] && "$0" down "$state" || true
    mkdir -p "$state"
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    [[ -x $bin/initdb ]] || fail "no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)"
    if [[ $(id -u) == 0 ]]; then id postgres >/dev/null 2>&1 || fail "no postgres user (apt-get install postgresql)"; fi
    dir=$(mktemp -d /tmp/cc-ci-pg.XXXXXX)
    echo "$dir" >"$state/dir"
    [[ $(id -u) == 0 ]] && chown postgres: "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -A trust -U cc_ci -E UTF8 --locale=C --no-sync \
      >"$dir/initdb.log" 2>&1 || fail "initdb failed: $(tail -3 "$dir/initdb.log")"
    opts="-c listen_addresses= -k $dir -c max_connections=200"
    ((durable)) || opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    echo "$opts" >"$dir/opts"
    as_owner "$bin/pg_ctl" -D "$dir/data" -o "$opts" -l "$dir/server.log" -w -t 30 start \
      >/dev/null 2>&1 || fail "pg_ctl start failed: $(tail -3 "$dir/server.log" 2>/dev/null)"
    echo "host=$dir dbname=postgres user=cc_ci" >"$state/url"
    echo "pg_lane: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') up at $dir"
    ;;
  down)
    if [[ -f $state/dir ]]; then
      dir=$(cat "$state/dir")
      bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
      if [[ -f $dir/data/postmaster.pid ]]; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
      fi
      [[ $dir == /tmp/cc-ci-pg.* ]] && rm -rf "$dir"
    fi
    rm -rf "$state"
    ;;
  stop | start)
    dir=$(cat "$state/dir")
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    if [[ $cmd == stop ]]; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null
    else
      as_owner "$bin/pg_ctl" -D "$dir/data" -o "$(cat "$dir/opts")" -l "$dir/server.log" -w -t 30 \
        start >/dev/null
    fi
    ;;
  *) echo "usage: pg_lane.sh up|down|stop|start STATE [--durable]" >&2; exit 2 ;;
esac
