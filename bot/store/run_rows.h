#pragma once
// How a runs row is read, shared by the SQLite store's files.

#include "bot/store/sql_db.h"
#include "bot/store/store.h"

namespace ccci {

// ReportKey (store.h) in SQL, for queries over runs.
inline constexpr const char* kReportKeySql =
    "(CASE WHEN state = 'running' AND stage != '' THEN 'running:' || stage ELSE state END)";

inline constexpr const char* kRunColumns =
    "id, repo, pr, head_sha, head_ref, base_ref, clone_url, title, author, trigger, "
    "delivery_id, state, level, reason, cancel_requested, superseded_by, attempts, created_at, "
    "updated_at, started_at, finished_at, stage, worker, lease_until";

inline Run ReadRun(const SqlStmt& s) {
  Run r;
  r.id = s.Int(0);
  r.repo = s.Text(1);
  r.pr = s.Int(2);
  r.head_sha = s.Text(3);
  r.head_ref = s.Text(4);
  r.base_ref = s.Text(5);
  r.clone_url = s.Text(6);
  r.title = s.Text(7);
  r.author = s.Text(8);
  r.trigger = s.Text(9);
  r.delivery_id = s.Text(10);
  r.state = s.Text(11);
  if (!s.IsNull(12)) r.level = s.Int(12);
  r.reason = s.Text(13);
  r.cancel_requested = s.Int(14) != 0;
  r.superseded_by = s.Int(15);
  r.attempts = s.Int(16);
  r.created_at_ms = s.Int(17);
  r.updated_at_ms = s.Int(18);
  if (!s.IsNull(19)) r.started_at_ms = s.Int(19);
  if (!s.IsNull(20)) r.finished_at_ms = s.Int(20);
  r.stage = s.Text(21);
  r.worker = s.Text(22);
  r.lease_until_ms = s.Int(23);
  return r;
}

// Every row `s` steps to, as runs.
inline Result<std::vector<Run>> ReadRuns(const StmtRef& s) {
  std::vector<Run> out;
  for (;;) {
    auto row = s->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(ReadRun(*s));
  }
}

}  // namespace ccci
