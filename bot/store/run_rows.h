#pragma once
// How a runs row is read, shared by the SQL store's files.

#include "bot/store/sql_db.h"
#include "bot/store/sql_rows.h"
#include "bot/store/store.h"

namespace ccci {

// ReportKey (store.h) in SQL, for queries over runs.
inline constexpr const char* kReportKeySql =
    "(CASE WHEN state = 'running' AND stage != '' THEN 'running:' || stage ELSE state END)";

inline constexpr const char* kRunColumns =
    "id, repo, pr, head_sha, head_ref, base_ref, clone_url, title, author, trigger, "
    "delivery_id, state, level, reason, cancel_requested, superseded_by, attempts, created_at, "
    "updated_at, started_at, finished_at, stage";

inline Run ReadRun(const SqlStmt& s) {
  Run r;
  ReadColumns(s, &r.id, &r.repo, &r.pr, &r.head_sha, &r.head_ref, &r.base_ref, &r.clone_url,
              &r.title, &r.author, &r.trigger, &r.delivery_id, &r.state, &r.level, &r.reason,
              &r.cancel_requested, &r.superseded_by, &r.attempts, &r.created_at_ms,
              &r.updated_at_ms, &r.started_at_ms, &r.finished_at_ms, &r.stage);
  return r;
}

// Every row `s` steps to, as runs.
inline Result<std::vector<Run>> ReadRuns(const StmtRef& s) { return CollectRows<Run>(*s, ReadRun); }

}  // namespace ccci
