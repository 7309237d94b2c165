// SqlStore's NightlyStore half: nightly passes, the run each recipe got in one, the board
// and the open regression issues (migrations/012_nightly.sql).
#include <algorithm>
#include <map>

#include "bot/store/run_rows.h"
#include "bot/store/sql_store.h"

namespace ccci {

Result<bool> SqlStore::ClaimNightlyPass(const std::string& pass_id, const std::string& node,
                                        int64_t stale_ms) {
  int64_t now = options_.clock->NowUnixMillis();
  bool claimed = false;
  Status st = Write([&](SqlDb& db) -> Status {
    // Insert-if-absent: of several nodes, the first to commit gets the row; PostgreSQL makes
    // the others wait for that commit and then do nothing.
    auto ins = db.Prepare(
        "INSERT INTO nightly_passes (pass_id, node, claimed_at) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (pass_id) DO NOTHING RETURNING pass_id");
    if (!ins.ok()) return ins.status();
    (*ins)->Bind(1, pass_id).Bind(2, node).Bind(3, now);
    auto row = (*ins)->Step();
    if (!row.ok()) return row.status();
    if (*row) {
      claimed = true;
      return Status::Ok();
    }
    auto take = db.Prepare(
        "UPDATE nightly_passes SET node = ?2, claimed_at = ?3 WHERE pass_id = ?1 AND "
        "finished_at IS NULL AND (node = ?2 OR claimed_at < ?4) RETURNING pass_id");
    if (!take.ok()) return take.status();
    (*take)->Bind(1, pass_id).Bind(2, node).Bind(3, now).Bind(4, now - stale_ms);
    auto taken = (*take)->Step();
    if (!taken.ok()) return taken.status();
    claimed = *taken;
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return claimed;
}

Status SqlStore::FinishNightlyPass(const std::string& pass_id, int64_t runs_queued) {
  int64_t now = options_.clock->NowUnixMillis();
  return Write([&](SqlDb& db) -> Status {
    auto s = db.Prepare(
        "UPDATE nightly_passes SET finished_at = ?2, runs_queued = ?3 WHERE pass_id = ?1");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, pass_id).Bind(2, now).Bind(3, runs_queued);
    return (*s)->Run();
  });
}

Result<bool> SqlStore::HasNightlyRun(const std::string& pass_id, const std::string& repo) {
  return Read<bool>([&](SqlDb& db) -> Result<bool> {
    auto s = db.Prepare("SELECT 1 FROM nightly_runs WHERE pass_id = ?1 AND repo = ?2");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, pass_id).Bind(2, repo);
    return (*s)->Step();
  });
}

Result<NightlyQueued> SqlStore::QueueNightlyRun(const std::string& pass_id, const RunRequest& run) {
  int64_t now = options_.clock->NowUnixMillis();
  NightlyQueued out;
  Status st = Write([&](SqlDb& db) -> Status {
    out = NightlyQueued{};
    // The pass's slot for the repo first (0 until the run exists): a second caller waits for
    // it (PostgreSQL) or finds it, and queues nothing.
    auto slot = db.Prepare(
        "INSERT INTO nightly_runs (pass_id, repo, run_id) VALUES (?1, ?2, 0) "
        "ON CONFLICT (pass_id, repo) DO NOTHING RETURNING pass_id");
    if (!slot.ok()) return slot.status();
    (*slot)->Bind(1, pass_id).Bind(2, run.repo);
    auto fresh = (*slot)->Step();
    if (!fresh.ok()) return fresh.status();
    if (!*fresh) {
      auto had = db.Prepare("SELECT run_id FROM nightly_runs WHERE pass_id = ?1 AND repo = ?2");
      if (!had.ok()) return had.status();
      (*had)->Bind(1, pass_id).Bind(2, run.repo);
      auto row = (*had)->Step();
      if (!row.ok()) return row.status();
      if (*row) out.run_id = (*had)->Int(0);
      return Status::Ok();
    }
    Delivery d;
    d.id = "nightly:" + pass_id + ":" + run.repo;
    RecordOutcome rec;
    CCCI_RETURN_IF_ERROR(QueueRunInTxn(db, d, run, now, &rec));
    auto set = db.Prepare("UPDATE nightly_runs SET run_id = ?3 WHERE pass_id = ?1 AND repo = ?2");
    if (!set.ok()) return set.status();
    (*set)->Bind(1, pass_id).Bind(2, run.repo).Bind(3, rec.run_id);
    CCCI_RETURN_IF_ERROR((*set)->Run());
    out.run_id = rec.run_id;
    out.queued = !rec.coalesced;
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

Result<std::optional<int64_t>> SqlStore::PreviousNightlyLevel(const std::string& repo,
                                                              int64_t before_run_id) {
  return Read<std::optional<int64_t>>([&](SqlDb& db) -> Result<std::optional<int64_t>> {
    auto s = db.Prepare(
        "SELECT r.level FROM nightly_runs n JOIN runs r ON r.id = n.run_id "
        "WHERE n.repo = ?1 AND n.run_id < ?2 AND r.state = 'finished' AND r.level IS NOT NULL "
        "ORDER BY n.pass_id DESC LIMIT 1");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, repo).Bind(2, before_run_id);
    auto row = (*s)->Step();
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<int64_t>();
    return std::optional<int64_t>((*s)->Int(0));
  });
}

Result<NightlyBoardData> SqlStore::NightlyBoard(int limit) {
  limit = std::clamp(limit, 1, 1000);
  return Read<NightlyBoardData>([&](SqlDb& db) -> Result<NightlyBoardData> {
    NightlyBoardData board;
    auto passes = db.Prepare("SELECT pass_id FROM nightly_passes ORDER BY pass_id DESC LIMIT 2");
    if (!passes.ok()) return passes.status();
    for (std::string* id : {&board.pass_id, &board.previous_pass_id}) {
      auto row = (*passes)->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      *id = (*passes)->Text(0);
    }
    if (board.pass_id.empty()) return board;
    // Both passes' runs by repo: at most two rows a recipe, so 2 * limit + 1 rows tell
    // whether there are more than `limit` recipes.
    auto s = db.Prepare(
        std::string("SELECT n.np, n.nr, ") + kRunColumns +
        " FROM (SELECT pass_id AS np, repo AS nr, run_id AS nid FROM nightly_runs "
        "WHERE pass_id IN (?1, ?2)) n JOIN runs ON runs.id = n.nid ORDER BY n.nr, n.np DESC "
        "LIMIT ?3");  // renamed: kRunColumns names runs' own columns unqualified
    if (!s.ok()) return s.status();
    (*s)->Bind(1, board.pass_id).Bind(2, board.previous_pass_id);
    (*s)->Bind(3, static_cast<int64_t>(2 * limit + 1));
    for (;;) {
      auto row = (*s)->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      std::string pass = (*s)->Text(0), repo = (*s)->Text(1);
      if (board.rows.empty() || board.rows.back().repo != repo) {
        if (static_cast<int>(board.rows.size()) == limit) {
          board.truncated = true;
          break;
        }
        board.rows.push_back(NightlyRow{repo, std::nullopt, std::nullopt});
      }
      Run run = ReadRunAt(**s, 2);
      if (pass == board.pass_id) {
        board.rows.back().tonight = std::move(run);
      } else {
        board.rows.back().previous = std::move(run);
      }
    }
    return board;
  });
}

Result<std::optional<RegressionIssue>> SqlStore::GetRegressionIssue(const std::string& repo) {
  return Read<std::optional<RegressionIssue>>(
      [&](SqlDb& db) -> Result<std::optional<RegressionIssue>> {
        auto s = db.Prepare(
            "SELECT issue, baseline_level, level, run_id FROM regression_issues WHERE repo = ?1");
        if (!s.ok()) return s.status();
        (*s)->Bind(1, repo);
        auto row = (*s)->Step();
        if (!row.ok()) return row.status();
        if (!*row) return std::optional<RegressionIssue>();
        RegressionIssue i;
        ReadColumns(**s, &i.issue, &i.baseline_level, &i.level, &i.run_id);
        return std::optional<RegressionIssue>(i);
      });
}

Status SqlStore::SetRegressionIssue(const std::string& repo, const RegressionIssue& issue) {
  int64_t now = options_.clock->NowUnixMillis();
  return Write([&](SqlDb& db) -> Status {
    auto s = db.Prepare(
        "INSERT INTO regression_issues (repo, issue, baseline_level, level, run_id, updated_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (repo) DO UPDATE SET issue = excluded.issue, "
        "baseline_level = excluded.baseline_level, level = excluded.level, "
        "run_id = excluded.run_id, updated_at = excluded.updated_at");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, repo).Bind(2, issue.issue).Bind(3, issue.baseline_level).Bind(4, issue.level);
    (*s)->Bind(5, issue.run_id).Bind(6, now);
    return (*s)->Run();
  });
}

Status SqlStore::ClearRegressionIssue(const std::string& repo) {
  return Write([&](SqlDb& db) -> Status {
    auto s = db.Prepare("DELETE FROM regression_issues WHERE repo = ?1");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, repo);
    return (*s)->Run();
  });
}

}  // namespace ccci
