# Sourced by ingest.sh for its sqlite+load target: the rest of the process busy while the
# intake is measured (issue 18). Before wrk starts:
# - a run with a stage that is running, whose log grows by ~40 lines every 50 ms (a chatty
#   `abra app deploy`), streamed live (SSE) to 20 clients;
# - 1,000 pending outbox messages (commit statuses over 50 PRs), due as wrk starts, for the
#   reporting side to drain (dry-run: no Gitea, each is logged and marked sent).
# Rows are written with the sqlite3 CLI, as the runner and reporter would have left them.

# SQL on the server's database. The server checkpoints its WAL itself; the CLI does none.
db_sql() {
  sqlite3 -cmd '.timeout 5000' -cmd 'PRAGMA wal_autocheckpoint=0' "$@" | tail -n +2
}

# load_seed DATA_DIR DELAY_MS: with the server stopped (its database migrated), queues the
# outbox messages, due DELAY_MS from now. (Written while the server ran, they once made its
# read connection report "database disk image is malformed": cc-ci dropped its own locks on
# the file, so the shell deleted the WAL on exit. Fixed; see docs/operating.md.)
load_seed() {
  local data=$1 delay_ms=$2 now
  now=$(date +%s%3N)
  db_sql "$data/cc-ci.db" "
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999)
    INSERT INTO outbox (repo, pr, kind, coalesce_key, payload, next_attempt_at, created_at,
                        updated_at)
      SELECT 'coop-cloud/load', 100 + i % 50, 'status',
             'status:coop-cloud/load@' || printf('%040d', i) || ':cc-ci/recipe',
             '{\"sha\":\"' || printf('%040d', i) || '\",\"state\":\"pending\",' ||
             '\"target_url\":\"http://cc-ci.invalid/runs/1\",\"description\":\"load\",\"context\":\"cc-ci/recipe\"}',
             $((now + delay_ms)), $now, $now FROM n;"
}

# load_start DATA_DIR URL SECONDS: sets load_pids.
load_start() {
  local data=$1 url=$2 secs=$3 now run
  now=$(date +%s%3N)
  run=$(db_sql "$data/cc-ci.db" "
    INSERT INTO runs (repo, pr, head_sha, trigger, state, stage, reported_state, created_at,
                      updated_at, started_at)
      VALUES ('coop-cloud/load', 1, '$(printf 'f%.0s' {1..40})', 'opened', 'running', 'install',
              'running:install', $now, $now, $now);
    SELECT last_insert_rowid();")
  mkdir -p "$data/runs/$run"
  db_sql "$data/cc-ci.db" "
    INSERT INTO stages (run_id, seq, name, status, started_at, log_path)
      VALUES ($run, 0, 'install', 'running', $now, 'runs/$run/install.log');"
  load_pids=()
  python3 - "$data/runs/$run/install.log" "$((secs + 60))" <<'PY' &
import sys, time
path, secs = sys.argv[1], float(sys.argv[2])
end, i = time.time() + secs, 0
with open(path, "a") as f:
    while time.time() < end:
        for _ in range(40):
            i += 1
            f.write("\x1b[32m[+]\x1b[0m Step %d: pulling layer 3f1c9e0a7b2d from "
                    "registry.coopcloud.tech/nextcloud:30.0.4 42%%\n" % i)
        f.flush()
        time.sleep(0.05)
PY
  load_pids+=($!)
  for _ in $(seq 20); do
    curl -sN --max-time "$((secs + 60))" "$url/runs/$run/logs/install/events" >/dev/null &
    load_pids+=($!)
  done
  load_run=$run
}

# load_stop DATA_DIR: stops the clients and the log writer; prints what the outbox has left.
load_stop() {
  local data=$1 streaming=0 pid
  for pid in "${load_pids[@]:1}"; do kill -0 "$pid" 2>/dev/null && streaming=$((streaming + 1)); done
  echo "   load: $streaming/20 SSE clients still streaming when wrk ended," \
       "outbox messages left pending then: $(db_sql "$data/cc-ci.db" \
         "select count(*) from outbox where repo = 'coop-cloud/load' and state = 'pending'")/1000"
  kill "${load_pids[@]}" 2>/dev/null || true
  wait "${load_pids[@]}" 2>/dev/null || true
}
