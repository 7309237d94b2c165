// SqlStore's approvals: `!cc-ci ok-to-test` and the waiting runs it releases. Closing a PR
// ends its approval through a trigger (migrations/005_approvals.sql).

#include "bot/store/sql_rows.h"
#include "bot/store/sql_store.h"

namespace ccci {

Result<std::vector<int64_t>> SqlStore::Approve(const std::string& repo, int64_t pr,
                                               const std::string& by) {
  int64_t now = options_.clock->NowUnixMillis();
  std::vector<int64_t> released;
  Status st = Write([&](SqlDb& db) -> Status {
    released.clear();  // a retried job starts again
    auto ins = db.Prepare(
        "INSERT INTO approvals (repo, pr, approved_by, at) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (repo, pr) DO NOTHING");
    if (!ins.ok()) return ins.status();
    (*ins)->Bind(1, repo).Bind(2, pr).Bind(3, by).Bind(4, now);
    CCCI_RETURN_IF_ERROR((*ins)->Run());
    auto release = db.Prepare(
        "UPDATE runs SET state = 'queued', reason = '', updated_at = ?3 "
        "WHERE repo = ?1 AND pr = ?2 AND state = 'waiting' RETURNING id");
    if (!release.ok()) return release.status();
    (*release)->Bind(1, repo).Bind(2, pr).Bind(3, now);
    return ForEachRow(**release, [&] { released.push_back((*release)->Int(0)); });
  });
  if (!st.ok()) return st;
  return released;
}

Result<bool> SqlStore::IsApproved(const std::string& repo, int64_t pr) {
  return Read<bool>([&](SqlDb& db) -> Result<bool> {
    auto s = db.Prepare("SELECT 1 FROM approvals WHERE repo = ?1 AND pr = ?2");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, repo).Bind(2, pr);
    return (*s)->Step();
  });
}

Result<bool> SqlStore::RetestWaitingRun(int64_t run_id, const std::string& by) {
  int64_t now = options_.clock->NowUnixMillis();
  bool released = false;
  Status st = Write([&](SqlDb& db) -> Status {
    auto s = db.Prepare(
        "UPDATE runs SET state = 'queued', trigger = 'retest', reason = 'retest by ' || ?2, "
        "updated_at = ?3 WHERE id = ?1 AND state = 'waiting' RETURNING id");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, run_id).Bind(2, by).Bind(3, now);
    auto row = (*s)->Step();
    if (!row.ok()) return row.status();
    released = *row;
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return released;
}

}  // namespace ccci
