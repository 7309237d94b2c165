#pragma once
// How a runs row is read, shared by the SQL store's files.

#include "bot/store/sql_db.h"
#include "bot/store/sql_rows.h"
#include "bot/store/store.h"

namespace ccci {

// ReportKey (store.h) in SQL, for queries over runs.
inline constexpr const char* kReportKeySql =
    "(CASE WHEN state = 'running' AND stage != '' THEN 'running:' || stage ELSE state END)";

// The run RunQueue::ClaimNext takes: the oldest queued one. Both drivers find it by an index
// seek, never walking the finished runs before it (migration 013's runs_queued on PostgreSQL;
// SQLite's runs_by_state, which holds (state, id)).
inline constexpr const char* kOldestQueuedRunSql =
    "SELECT id FROM runs WHERE state = 'queued' ORDER BY id LIMIT 1";

inline constexpr const char* kRunColumns =
    "id, repo, pr, head_sha, head_ref, base_ref, clone_url, title, author, trigger, "
    "delivery_id, state, level, reason, cancel_requested, superseded_by, attempts, created_at, "
    "updated_at, started_at, finished_at, stage, worker, lease_until, server, reaped_from";

// The run in the columns from `at` on (kRunColumns in order).
inline Run ReadRunAt(const SqlStmt& s, int at) {
  Run r;
  ReadColumnsFrom(s, at, &r.id, &r.repo, &r.pr, &r.head_sha, &r.head_ref, &r.base_ref, &r.clone_url,
                  &r.title, &r.author, &r.trigger, &r.delivery_id, &r.state, &r.level, &r.reason,
                  &r.cancel_requested, &r.superseded_by, &r.attempts, &r.created_at_ms,
                  &r.updated_at_ms, &r.started_at_ms, &r.finished_at_ms, &r.stage, &r.worker,
                  &r.lease_until_ms, &r.server, &r.reaped_from);
  return r;
}

inline Run ReadRun(const SqlStmt& s) { return ReadRunAt(s, 0); }

// Every row `s` steps to, as runs.
inline Result<std::vector<Run>> ReadRuns(const StmtRef& s) { return CollectRows<Run>(*s, ReadRun); }

// Queues the run `req` inside the caller's transaction as a delivery's run is queued
// (coalesced with a live run of the same head, superseding the PR's older ones; a nightly
// run supersedes nothing and is superseded by nothing). sql_store.cc.
Status QueueRunInTxn(SqlDb& db, const Delivery& d, const RunRequest& req, int64_t now,
                     RecordOutcome* out);

}  // namespace ccci
