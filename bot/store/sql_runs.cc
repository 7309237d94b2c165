// The runner's side of the store: claiming queued runs (and leases), stage records, finishing.
#include "bot/store/run_rows.h"
#include "bot/store/sql_store.h"

namespace ccci {

namespace {

// The WHERE clause of a write fenced on a holder (?1 the run, ?2 the holder's worker, ?3 its
// attempt): the run is running under that worker in that attempt, and taken over by a reaper
// (`taken_over`: the reaper is the holder) or not (the worker that claimed it is).
std::string HeldWhere(bool taken_over) {
  return std::string(
             " WHERE id = ?1 AND worker = ?2 AND attempts = ?3 AND state = 'running' "
             "AND reaped_from ") +
         (taken_over ? "<> ''" : "= ''");
}

// Locks the run's row while `holder` still holds it: running, under its worker, in its
// attempt, not taken over by a reaper (which may be the same worker, its own suite's lease
// having expired). On PostgreSQL a reaper changing the row concurrently either waits for this
// transaction or has already won, and then this finds the row changed (READ COMMITTED
// re-checks the WHERE on the newest version). FailedPrecondition when the lease is lost.
Status LockHeld(SqlDb& db, int64_t id, const Holder& holder, int64_t now) {
  auto s = db.Prepare("UPDATE runs SET updated_at = ?4" + HeldWhere(false) + " RETURNING id");
  if (!s.ok()) return s.status();
  (*s)->Bind(1, id).Bind(2, holder.worker).Bind(3, holder.attempt).Bind(4, now);
  auto row = (*s)->Step();
  if (!row.ok()) return row.status();
  if (!*row) {
    return FailedPrecondition("lease lost: run " + std::to_string(id) + " is no longer held by " +
                              holder.worker + " in attempt " + std::to_string(holder.attempt));
  }
  return Status::Ok();
}

Status RecordStageIn(SqlDb& db, const StageRecord& st, int64_t now) {
  auto s = db.Prepare(
      "INSERT INTO stages (run_id, seq, name, status, reason, exit_code, "
      "started_at, duration_ms, log_path, attempts) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
      "ON CONFLICT (run_id, name) DO UPDATE SET seq = excluded.seq, "
      "status = excluded.status, reason = excluded.reason, exit_code = excluded.exit_code, "
      "started_at = excluded.started_at, duration_ms = excluded.duration_ms, "
      "log_path = excluded.log_path, attempts = excluded.attempts");
  if (!s.ok()) return s.status();
  (*s)->Bind(1, st.run_id).Bind(2, st.seq).Bind(3, st.name).Bind(4, st.status);
  (*s)->Bind(5, st.reason).Bind(6, st.exit_code).Bind(7, st.started_at_ms);
  (*s)->Bind(8, st.duration_ms).Bind(9, st.log_path).Bind(10, static_cast<int64_t>(st.attempts));
  CCCI_RETURN_IF_ERROR((*s)->Run());
  if (st.status != kStageRunning) return Status::Ok();
  auto cur =
      db.Prepare("UPDATE runs SET stage = ?2, updated_at = ?3 WHERE id = ?1 AND state = 'running'");
  if (!cur.ok()) return cur.status();
  (*cur)->Bind(1, st.run_id).Bind(2, st.name).Bind(3, now);
  return (*cur)->Run();
}

// A stage still running when its run ends never will (the run was abandoned after restarts,
// or its worker was lost).
Status CloseRunningStages(SqlDb& db, int64_t id, const std::string& why, int64_t now) {
  auto close = db.Prepare(
      "UPDATE stages SET status = 'error', reason = 'did not finish: ' || ?2, "
      "duration_ms = CASE WHEN ?3 > started_at THEN ?3 - started_at ELSE 0 END WHERE run_id = ?1 "
      "AND status = 'running'");
  if (!close.ok()) return close.status();
  (*close)->Bind(1, id).Bind(2, why).Bind(3, now);
  return (*close)->Run();
}

Status FinishRunIn(SqlDb& db, int64_t id, const std::string& state, std::optional<int64_t> level,
                   const std::string& reason, int64_t now) {
  auto s = db.Prepare(
      "UPDATE runs SET state = ?2, level = ?3, reason = ?4, stage = '', finished_at = ?5, "
      "updated_at = ?5, lease_until = 0 WHERE id = ?1 AND state = 'running' RETURNING id");
  if (!s.ok()) return s.status();
  (*s)->Bind(1, id).Bind(2, state).Bind(3, level).Bind(4, reason).Bind(5, now);
  auto row = (*s)->Step();
  if (!row.ok()) return row.status();
  if (!*row) return FailedPrecondition("run " + std::to_string(id) + " is not running");
  return CloseRunningStages(db, id, reason.empty() ? state : reason, now);
}

Status ClearStages(SqlDb& db, int64_t id) {
  auto del = db.Prepare("DELETE FROM stages WHERE run_id = ?1");
  if (!del.ok()) return del.status();
  (*del)->Bind(1, id);
  return (*del)->Run();
}

// lease_until = now + lease_ms while `holder` still holds run `id`: by its claim
// (`taken_over` false: a suite's heartbeat), or by a reaper's take-over (true). False when it
// does not.
Result<bool> ExtendHeld(SqlStore& store, int64_t id, const Holder& holder, bool taken_over,
                        int64_t now, int64_t lease_ms) {
  bool extended = false;
  Status st = store.Write([&](SqlDb& db) -> Status {
    auto s = db.Prepare("UPDATE runs SET lease_until = ?4, updated_at = ?5" +
                        HeldWhere(taken_over) + " RETURNING id");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, id).Bind(2, holder.worker).Bind(3, holder.attempt);
    (*s)->Bind(4, now + lease_ms).Bind(5, now);
    auto row = (*s)->Step();
    if (!row.ok()) return row.status();
    extended = *row;
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return extended;
}

Status RequeueRunIn(SqlDb& db, int64_t id, const std::string& reason, int64_t now) {
  auto s = db.Prepare(
      "UPDATE runs SET state = 'queued', stage = '', reason = ?2, started_at = NULL, "
      "updated_at = ?3, lease_until = 0 WHERE id = ?1 AND state = 'running'");
  if (!s.ok()) return s.status();
  (*s)->Bind(1, id).Bind(2, reason).Bind(3, now);
  CCCI_RETURN_IF_ERROR((*s)->Run());
  return ClearStages(db, id);
}

}  // namespace

Result<std::vector<Run>> SqlStore::QueuedRuns(int limit) {
  return Read<std::vector<Run>>([&](SqlDb& db) -> Result<std::vector<Run>> {
    auto s = db.Prepare(std::string("SELECT ") + kRunColumns +
                        " FROM runs WHERE state = 'queued' ORDER BY id LIMIT ?1");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, static_cast<int64_t>(limit));
    return ReadRuns(*s);
  });
}

Result<bool> SqlStore::ClaimRun(int64_t id) {
  int64_t now = options_.clock->NowUnixMillis();
  bool claimed = false;
  Status st = Write([&](SqlDb& db) -> Status {
    auto s = db.Prepare(
        "UPDATE runs SET state = 'running', stage = '', attempts = attempts + 1, "
        "started_at = ?2, updated_at = ?2, reason = '' WHERE id = ?1 AND state = 'queued' "
        "RETURNING id");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, id).Bind(2, now);
    auto row = (*s)->Step();
    if (!row.ok()) return row.status();
    claimed = *row;
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return claimed;
}

Result<std::optional<Lease>> SqlStore::ClaimNext(const std::string& worker, int64_t lease_ms,
                                                 const std::string& server) {
  int64_t now = options_.clock->NowUnixMillis();
  std::optional<Lease> lease;
  Status st = Write([&](SqlDb& db) -> Status {
    lease.reset();
    auto s = db.Prepare(
        std::string(
            "UPDATE runs SET state = 'running', stage = '', attempts = attempts + 1, worker = ?1, "
            "lease_until = ?3, server = ?4, started_at = ?2, updated_at = ?2, reason = '' "
            "WHERE id = (") +
        kOldestQueuedRunSql + db.SkipLocked() + ") RETURNING " + kRunColumns);
    if (!s.ok()) return s.status();
    (*s)->Bind(1, worker).Bind(2, now).Bind(3, now + lease_ms).Bind(4, server);
    auto row = (*s)->Step();
    if (!row.ok()) return row.status();
    if (*row) lease = Lease{ReadRun(**s), worker, now + lease_ms};
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return lease;
}

Result<bool> SqlStore::ExtendLease(int64_t run_id, const std::string& worker, int64_t attempt,
                                   int64_t lease_ms) {
  return ExtendHeld(*this, run_id, {worker, attempt}, false, options_.clock->NowUnixMillis(),
                    lease_ms);
}

Status SqlStore::HoldRun(int64_t id, const std::string& reason) { return HoldRuns({{id, reason}}); }

Status SqlStore::HoldRuns(const std::vector<std::pair<int64_t, std::string>>& holds) {
  if (holds.empty()) return Status::Ok();
  int64_t now = options_.clock->NowUnixMillis();
  return Write([&](SqlDb& db) -> Status {
    for (const auto& [id, reason] : holds) {
      auto s = db.Prepare(std::string("UPDATE") + db.OrFail() +
                          " runs SET state = 'waiting', reason = ?2, updated_at = ?3 "
                          "WHERE id = ?1 AND state = 'queued'");
      if (!s.ok()) return s.status();
      (*s)->Bind(1, id).Bind(2, reason).Bind(3, now);
      CCCI_RETURN_IF_ERROR((*s)->Run());
    }
    return Status::Ok();
  });
}

Result<std::vector<StageRecord>> SqlStore::ListStages(int64_t run_id) {
  return Read<std::vector<StageRecord>>([&](SqlDb& db) -> Result<std::vector<StageRecord>> {
    auto s = db.Prepare(
        "SELECT run_id, seq, name, status, reason, exit_code, started_at, duration_ms, log_path, "
        "attempts FROM stages WHERE run_id = ?1 ORDER BY seq, started_at");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, run_id);
    return CollectRows<StageRecord>(**s, [](const SqlStmt& row) {
      StageRecord r;
      ReadColumns(row, &r.run_id, &r.seq, &r.name, &r.status, &r.reason, &r.exit_code,
                  &r.started_at_ms, &r.duration_ms, &r.log_path, &r.attempts);
      return r;
    });
  });
}

Status SqlStore::RecordStage(const StageRecord& st) {
  int64_t now = options_.clock->NowUnixMillis();
  return Write([&](SqlDb& db) { return RecordStageIn(db, st, now); });
}

Status SqlStore::RecordStage(const Holder& holder, const StageRecord& st) {
  int64_t now = options_.clock->NowUnixMillis();
  return Write([&](SqlDb& db) -> Status {
    CCCI_RETURN_IF_ERROR(LockHeld(db, st.run_id, holder, now));
    return RecordStageIn(db, st, now);
  });
}

Status SqlStore::FinishRun(int64_t id, const std::string& state, std::optional<int64_t> level,
                           const std::string& reason) {
  int64_t now = options_.clock->NowUnixMillis();
  return Write([&](SqlDb& db) { return FinishRunIn(db, id, state, level, reason, now); });
}

Status SqlStore::FinishRun(const Holder& holder, int64_t id, const std::string& state,
                           std::optional<int64_t> level, const std::string& reason) {
  int64_t now = options_.clock->NowUnixMillis();
  return Write([&](SqlDb& db) -> Status {
    CCCI_RETURN_IF_ERROR(LockHeld(db, id, holder, now));
    return FinishRunIn(db, id, state, level, reason, now);
  });
}

Status SqlStore::RequeueRun(int64_t id, const std::string& reason) {
  int64_t now = options_.clock->NowUnixMillis();
  return Write([&](SqlDb& db) { return RequeueRunIn(db, id, reason, now); });
}

Status SqlStore::RequeueRun(const Holder& holder, int64_t id, const std::string& reason) {
  int64_t now = options_.clock->NowUnixMillis();
  return Write([&](SqlDb& db) -> Status {
    CCCI_RETURN_IF_ERROR(LockHeld(db, id, holder, now));
    return RequeueRunIn(db, id, reason, now);
  });
}

Status SqlStore::ReleaseRun(const Holder& holder, int64_t id, const std::string& state,
                            const std::string& reason) {
  if (state != kRunQueued && state != kRunWaiting) {
    return InvalidArgument("a run is released to queued or waiting, not " + state);
  }
  int64_t now = options_.clock->NowUnixMillis();
  return Write([&](SqlDb& db) -> Status {
    CCCI_RETURN_IF_ERROR(LockHeld(db, id, holder, now));
    auto s = db.Prepare(
        "UPDATE runs SET state = ?2, reason = ?3, stage = '', attempts = attempts - 1, "
        "started_at = NULL, lease_until = 0, updated_at = ?4 WHERE id = ?1");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, id).Bind(2, state).Bind(3, reason).Bind(4, now);
    CCCI_RETURN_IF_ERROR((*s)->Run());
    return ClearStages(db, id);
  });
}

// One UPDATE finds and takes every expired lease (the index on state keeps it cheap: only
// running runs are looked at); the stage clean-up touches only the runs it returned. A row
// locked by a transaction in flight (its holder's, maybe from a process paused mid-commit) is
// skipped, not waited for: the next beat reaps it, and no reaper ever hangs on a lock. Every
// SET reads the row as it was: `worker` is the one that lost it, or (a take-over that expired)
// the reaper that did.
Result<std::vector<Run>> SqlStore::ReapExpiredLeases(const std::string& worker,
                                                     const std::string& server, int64_t lease_ms,
                                                     int64_t max_attempts) {
  int64_t now = options_.clock->NowUnixMillis();
  // ?1 now, ?2 max_attempts, ?3 the reaper, ?4 its server, ?5 the take-over's lease_until.
  const std::string take_over = "(attempts < ?2 AND server = ?4 AND ?4 <> '')";
  const std::string lost_by = "(CASE WHEN reaped_from = '' THEN worker ELSE reaped_from END)";
  std::vector<Run> reaped;
  Status st = Write([&](SqlDb& db) -> Status {
    reaped.clear();
    auto s = db.Prepare(
        "UPDATE runs SET "
        "state = CASE WHEN attempts >= ?2 THEN 'error' WHEN " +
        take_over +
        " THEN 'running' ELSE 'queued' END, "
        "reason = CASE WHEN attempts >= ?2 THEN 'lost its worker ' || attempts || ' times' "
        "WHEN " +
        take_over + " THEN 'its worker ' || " + lost_by +
        " || ' stopped renewing its lease; its stack is torn down before it is queued again' "
        "ELSE 'queued again: its worker ' || " +
        lost_by +
        " || ' stopped renewing its lease' END, "
        "reaped_from = CASE WHEN " +
        take_over + " THEN " + lost_by +
        " ELSE '' END, "
        "worker = CASE WHEN " +
        take_over + " THEN ?3 WHEN reaped_from = '' THEN worker ELSE reaped_from END, " +
        "lease_until = CASE WHEN " + take_over +
        " THEN CAST(?5 AS BIGINT) ELSE 0 END, "
        "stage = '', updated_at = ?1, "
        "started_at = CASE WHEN attempts >= ?2 OR " +
        take_over +
        " THEN started_at ELSE NULL END, "
        "finished_at = CASE WHEN attempts >= ?2 THEN ?1 ELSE finished_at END "
        "WHERE id IN (SELECT id FROM runs WHERE state = 'running' AND "
        "lease_until > 0 AND lease_until < ?1" +
        db.SkipLocked() + ") RETURNING " + kRunColumns);
    if (!s.ok()) return s.status();
    (*s)->Bind(1, now).Bind(2, max_attempts).Bind(3, worker).Bind(4, server);
    (*s)->Bind(5, now + lease_ms);
    auto runs = ReadRuns(*s);
    if (!runs.ok()) return runs.status();
    for (const Run& r : *runs) {
      CCCI_RETURN_IF_ERROR(r.state == kRunError ? CloseRunningStages(db, r.id, r.reason, now)
                                                : ClearStages(db, r.id));
    }
    reaped = std::move(*runs);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return reaped;
}

Result<bool> SqlStore::ExtendTakeOver(const Holder& holder, int64_t run_id, int64_t lease_ms) {
  return ExtendHeld(*this, run_id, holder, true, options_.clock->NowUnixMillis(), lease_ms);
}

Status SqlStore::RequeueTakenOver(const Holder& holder, int64_t run_id) {
  int64_t now = options_.clock->NowUnixMillis();
  return Write([&](SqlDb& db) -> Status {
    auto s = db.Prepare(
        "UPDATE runs SET state = 'queued', stage = '', worker = reaped_from, reaped_from = '', "
        "reason = 'queued again: its worker ' || reaped_from || ' stopped renewing its lease', "
        "started_at = NULL, lease_until = 0, updated_at = ?4" +
        HeldWhere(true) + " RETURNING id");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, run_id).Bind(2, holder.worker).Bind(3, holder.attempt).Bind(4, now);
    auto row = (*s)->Step();
    if (!row.ok()) return row.status();
    if (!*row) {
      return FailedPrecondition("lease lost: run " + std::to_string(run_id) +
                                " is no longer taken over by " + holder.worker + " in attempt " +
                                std::to_string(holder.attempt));
    }
    return ClearStages(db, run_id);
  });
}

}  // namespace ccci
