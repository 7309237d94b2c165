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
    "updated_at, started_at, finished_at, stage";

// The run in the columns from `at` on (kRunColumns in order).
inline Run ReadRunAt(const SqlStmt& s, int at) {
  Run r;
  r.id = s.Int(at + 0);
  r.repo = s.Text(at + 1);
  r.pr = s.Int(at + 2);
  r.head_sha = s.Text(at + 3);
  r.head_ref = s.Text(at + 4);
  r.base_ref = s.Text(at + 5);
  r.clone_url = s.Text(at + 6);
  r.title = s.Text(at + 7);
  r.author = s.Text(at + 8);
  r.trigger = s.Text(at + 9);
  r.delivery_id = s.Text(at + 10);
  r.state = s.Text(at + 11);
  if (!s.IsNull(at + 12)) r.level = s.Int(at + 12);
  r.reason = s.Text(at + 13);
  r.cancel_requested = s.Int(at + 14) != 0;
  r.superseded_by = s.Int(at + 15);
  r.attempts = s.Int(at + 16);
  r.created_at_ms = s.Int(at + 17);
  r.updated_at_ms = s.Int(at + 18);
  if (!s.IsNull(at + 19)) r.started_at_ms = s.Int(at + 19);
  if (!s.IsNull(at + 20)) r.finished_at_ms = s.Int(at + 20);
  r.stage = s.Text(at + 21);
  return r;
}

inline Run ReadRun(const SqlStmt& s) { return ReadRunAt(s, 0); }

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

// Queues the run `req` inside the caller's transaction as a delivery's run is queued
// (coalesced with a live run of the same head, superseding the PR's older ones; a nightly
// run supersedes nothing and is superseded by nothing). sql_store.cc.
Status QueueRunInTxn(SqlDb& db, const Delivery& d, const RunRequest& req, int64_t now,
                     RecordOutcome* out);

}  // namespace ccci
