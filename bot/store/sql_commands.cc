// SqlStore's CommandStore half: pending chat-ops commands and the runs they start or stop.

#include "bot/store/sql_rows.h"
#include "bot/store/sql_store.h"

namespace ccci {

Result<std::vector<PendingCommand>> SqlStore::PendingCommands(int limit) {
  return Read<std::vector<PendingCommand>>([&](SqlDb& db) -> Result<std::vector<PendingCommand>> {
    auto s = db.Prepare(
        "SELECT id, repo, pr, comment_id, author, body, author_can_push, created_at FROM commands "
        "WHERE state = 'pending' ORDER BY id LIMIT ?1");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, static_cast<int64_t>(limit));
    return CollectRows<PendingCommand>(**s, [](const SqlStmt& row) {
      PendingCommand c;
      ReadColumns(row, &c.id, &c.repo, &c.pr, &c.comment_id, &c.author, &c.body, &c.author_can_push,
                  &c.created_at_ms);
      return c;
    });
  });
}

Status SqlStore::FinishCommand(int64_t id, const std::string& state, const std::string& note) {
  (void)note;  // kept in the log; the table records the outcome
  return Write([&](SqlDb& db) -> Status {
    auto s = db.Prepare("UPDATE commands SET state = ?2 WHERE id = ?1");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, id).Bind(2, state);
    return (*s)->Run();
  });
}

Result<int64_t> SqlStore::RetestPr(const std::string& repo, int64_t pr, const std::string& by) {
  int64_t run_id = 0;
  int64_t now = options_.clock->NowUnixMillis();
  Status st = Write([&](SqlDb& db) -> Status {
    auto active = db.Prepare(
        "SELECT id FROM runs WHERE repo = ?1 AND pr = ?2 AND state IN ('queued', 'waiting') "
        "ORDER BY id DESC LIMIT 1");
    if (!active.ok()) return active.status();
    (*active)->Bind(1, repo).Bind(2, pr);
    auto row = (*active)->Step();
    if (!row.ok()) return row.status();
    if (*row) {
      run_id = (*active)->Int(0);  // a queued run coalesces the retest
      return Status::Ok();
    }
    auto copy = db.Prepare(
        "INSERT INTO runs (repo, pr, head_sha, head_ref, base_ref, clone_url, title, author, "
        "trigger, delivery_id, state, created_at, updated_at) "
        "SELECT repo, pr, head_sha, head_ref, base_ref, clone_url, title, author, 'retest', "
        "'retest by ' || ?3, 'queued', ?4, ?4 FROM runs WHERE repo = ?1 AND pr = ?2 "
        "AND state != 'superseded' ORDER BY id DESC LIMIT 1 RETURNING id");
    if (!copy.ok()) return copy.status();
    (*copy)->Bind(1, repo).Bind(2, pr).Bind(3, by).Bind(4, now);
    auto copied = (*copy)->Step();
    if (!copied.ok()) return copied.status();
    if (!*copied) return NotFound("no run of " + repo + "#" + std::to_string(pr) + " to retest");
    run_id = (*copy)->Int(0);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return run_id;
}

Result<std::vector<int64_t>> SqlStore::CancelPr(const std::string& repo, int64_t pr,
                                                const std::string& reason) {
  Work w;
  w.kind = Work::Kind::kCancel;
  w.cancel_repo = repo;
  w.cancel_pr = pr;
  w.cancel_reason = reason;
  std::vector<int64_t> touched;
  int64_t now = options_.clock->NowUnixMillis();
  Status st = Write([&](SqlDb& db) -> Status {
    RecordOutcome out;
    CCCI_RETURN_IF_ERROR(CancelRunsInTxn(db, w, now, &out));
    touched = out.cancelled;
    touched.insert(touched.end(), out.cancel_requested.begin(), out.cancel_requested.end());
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return touched;
}

}  // namespace ccci
