// The runner's side of the store: claiming queued runs (and leases), stage records, finishing.
#include "bot/store/run_rows.h"
#include "bot/store/sql_store.h"

namespace ccci {

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

Result<std::optional<Lease>> SqlStore::ClaimNext(const std::string& worker, int64_t lease_ms) {
  int64_t now = options_.clock->NowUnixMillis();
  std::optional<Lease> lease;
  Status st = Write([&](SqlDb& db) -> Status {
    lease.reset();
    auto s = db.Prepare(
        std::string(
            "UPDATE runs SET state = 'running', stage = '', attempts = attempts + 1, worker = ?1, "
            "lease_until = ?3, started_at = ?2, updated_at = ?2, reason = '' WHERE id = "
            "(SELECT id FROM runs WHERE state = 'queued' ORDER BY id LIMIT 1") +
        db.SkipLocked() + ") RETURNING " + kRunColumns);
    if (!s.ok()) return s.status();
    (*s)->Bind(1, worker).Bind(2, now).Bind(3, now + lease_ms);
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
  int64_t now = options_.clock->NowUnixMillis();
  bool extended = false;
  Status st = Write([&](SqlDb& db) -> Status {
    auto s = db.Prepare(
        "UPDATE runs SET lease_until = ?4, updated_at = ?5 WHERE id = ?1 AND worker = ?2 "
        "AND attempts = ?3 AND state = 'running' RETURNING id");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, run_id).Bind(2, worker).Bind(3, attempt).Bind(4, now + lease_ms).Bind(5, now);
    auto row = (*s)->Step();
    if (!row.ok()) return row.status();
    extended = *row;
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return extended;
}

Status SqlStore::HoldRun(int64_t id, const std::string& reason) {
  int64_t now = options_.clock->NowUnixMillis();
  return Write([&](SqlDb& db) -> Status {
    auto s = db.Prepare(
        "UPDATE runs SET state = 'waiting', reason = ?2, updated_at = ?3 "
        "WHERE id = ?1 AND state = 'queued'");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, id).Bind(2, reason).Bind(3, now);
    return (*s)->Run();
  });
}

Status SqlStore::RecordStage(const StageRecord& st) {
  int64_t now = options_.clock->NowUnixMillis();
  return Write([&](SqlDb& db) -> Status {
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
    auto cur = db.Prepare(
        "UPDATE runs SET stage = ?2, updated_at = ?3 WHERE id = ?1 AND state = 'running'");
    if (!cur.ok()) return cur.status();
    (*cur)->Bind(1, st.run_id).Bind(2, st.name).Bind(3, now);
    return (*cur)->Run();
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

Status SqlStore::FinishRun(int64_t id, const std::string& state, std::optional<int64_t> level,
                           const std::string& reason) {
  int64_t now = options_.clock->NowUnixMillis();
  return Write([&](SqlDb& db) -> Status {
    auto s = db.Prepare(
        "UPDATE runs SET state = ?2, level = ?3, reason = ?4, stage = '', finished_at = ?5, "
        "updated_at = ?5 WHERE id = ?1 AND state = 'running' RETURNING id");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, id).Bind(2, state).Bind(3, level).Bind(4, reason).Bind(5, now);
    auto row = (*s)->Step();
    if (!row.ok()) return row.status();
    if (!*row) return FailedPrecondition("run " + std::to_string(id) + " is not running");
    // A stage still running now never will (the run was abandoned, e.g. after restarts).
    auto close = db.Prepare(
        "UPDATE stages SET status = 'error', reason = 'did not finish: ' || ?2, "
        "duration_ms = CASE WHEN ?3 > started_at THEN ?3 - started_at ELSE 0 END WHERE run_id = ?1 "
        "AND status = 'running'");
    if (!close.ok()) return close.status();
    (*close)->Bind(1, id).Bind(2, reason.empty() ? state : reason).Bind(3, now);
    return (*close)->Run();
  });
}

Status SqlStore::RequeueRun(int64_t id, const std::string& reason) {
  int64_t now = options_.clock->NowUnixMillis();
  return Write([&](SqlDb& db) -> Status {
    auto s = db.Prepare(
        "UPDATE runs SET state = 'queued', stage = '', reason = ?2, started_at = NULL, "
        "updated_at = ?3 WHERE id = ?1 AND state = 'running'");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, id).Bind(2, reason).Bind(3, now);
    CCCI_RETURN_IF_ERROR((*s)->Run());
    auto del = db.Prepare("DELETE FROM stages WHERE run_id = ?1");
    if (!del.ok()) return del.status();
    (*del)->Bind(1, id);
    return (*del)->Run();
  });
}

}  // namespace ccci
