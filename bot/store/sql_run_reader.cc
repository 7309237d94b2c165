// The dashboard's side of the store (the RunReader slice): one run, pages of runs, runs not
// yet reported, and the queue's counts.
#include <cstdint>

#include "bot/store/run_rows.h"
#include "bot/store/sql_store.h"

namespace ccci {

Result<Run> SqlStore::GetRun(int64_t id) {
  return Read<Run>([&](SqlDb& db) -> Result<Run> {
    auto s = db.Prepare(std::string("SELECT ") + kRunColumns + " FROM runs WHERE id = ?1");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, id);
    auto row = (*s)->Step();
    if (!row.ok()) return row.status();
    if (!*row) return NotFound("no run " + std::to_string(id));
    return ReadRun(**s);
  });
}

Result<RunPage> SqlStore::ListRuns(const RunQuery& q) {
  return Read<RunPage>([&](SqlDb& db) -> Result<RunPage> {
    // One statement shape for every filter combination, so it is prepared once; unset
    // filters compare against themselves.
    auto s = db.Prepare(std::string("SELECT ") + kRunColumns +
                        " FROM runs WHERE id < ?1 AND (?2 = '' OR repo = ?2) "
                        "AND (CAST(?3 AS BIGINT) IS NULL OR pr = ?3) AND (?4 = '' OR state = ?4) "
                        "ORDER BY id DESC LIMIT ?5");
    if (!s.ok()) return s.status();
    int limit = q.limit < 1 ? 1 : (q.limit > 500 ? 500 : q.limit);
    (*s)->Bind(1, q.before_id > 0 ? q.before_id : INT64_MAX).Bind(2, q.repo);
    (*s)->Bind(3, q.pr).Bind(4, q.state).Bind(5, static_cast<int64_t>(limit + 1));
    RunPage page;
    auto runs = ReadRuns(*s);
    if (!runs.ok()) return runs.status();
    page.runs = std::move(*runs);
    if (static_cast<int>(page.runs.size()) > limit) {
      page.runs.pop_back();
      page.next_before_id = page.runs.back().id;
    }
    return page;
  });
}

Result<std::vector<Run>> SqlStore::UnreportedRuns(int limit) {
  return Read<std::vector<Run>>([&](SqlDb& db) -> Result<std::vector<Run>> {
    auto s = db.Prepare(std::string("SELECT ") + kRunColumns +
                        " FROM runs WHERE reported_state != " + std::string(kReportKeySql) +
                        " ORDER BY id LIMIT ?1");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, static_cast<int64_t>(limit));
    return ReadRuns(*s);
  });
}

Result<QueueCounts> SqlStore::CountQueue() {
  return Read<QueueCounts>([&](SqlDb& db) -> Result<QueueCounts> {
    auto s = db.Prepare(
        "SELECT state, count(*) FROM runs WHERE state IN ('queued', 'waiting', 'running') "
        "GROUP BY state");
    if (!s.ok()) return s.status();
    QueueCounts c;
    CCCI_RETURN_IF_ERROR(ForEachRow(**s, [&] {
      std::string state = (*s)->Text(0);
      int64_t n = (*s)->Int(1);
      if (state == kRunQueued)
        c.queued = n;
      else if (state == kRunWaiting)
        c.waiting = n;
      else if (state == kRunRunning)
        c.running = n;
    }));
    auto p = db.Prepare("SELECT count(*) FROM commands WHERE state = 'pending'");
    if (!p.ok()) return p.status();
    auto row = (*p)->Step();
    if (!row.ok()) return row.status();
    if (*row) c.pending_commands = (*p)->Int(0);
    return c;
  });
}

}  // namespace ccci
