// SqlStore's HistoryStore half: ended runs and flaky rates, for the level pictures.
#include <algorithm>

#include "bot/store/run_rows.h"
#include "bot/store/sql_store.h"

namespace ccci {

Result<std::vector<Run>> SqlStore::EndedRuns(const std::string& repo, std::optional<int64_t> pr,
                                             int64_t up_to_id, int limit) {
  return Read<std::vector<Run>>([&](SqlDb& db) -> Result<std::vector<Run>> {
    auto s = db.Prepare(
        std::string("SELECT ") + kRunColumns +
        " FROM runs WHERE repo = ?1 AND (CAST(?2 AS BIGINT) IS NULL OR pr = ?2) AND id <= ?3 "
        "AND state IN ('finished', 'error') ORDER BY id DESC LIMIT ?4");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, repo).Bind(2, pr).Bind(3, up_to_id > 0 ? up_to_id : INT64_MAX);
    (*s)->Bind(4, static_cast<int64_t>(std::clamp(limit, 1, 500)));
    return ReadRuns(*s);
  });
}

Result<std::vector<StageFlakiness>> SqlStore::FlakyStages(const std::string& repo, int window) {
  return Read<std::vector<StageFlakiness>>([&](SqlDb& db) -> Result<std::vector<StageFlakiness>> {
    auto s = db.Prepare(
        "SELECT s.name, SUM(CASE WHEN s.status = 'flaky' THEN 1 ELSE 0 END), COUNT(*), MIN(s.seq) "
        "FROM stages s JOIN "
        "(SELECT id FROM runs WHERE repo = ?1 AND pr = 0 AND state IN ('finished', 'error') "
        "ORDER BY id DESC LIMIT ?2) r ON s.run_id = r.id "
        "WHERE s.status IN ('pass', 'fail', 'flaky') GROUP BY s.name ORDER BY 4, 1");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, repo).Bind(2, static_cast<int64_t>(std::clamp(window, 1, 500)));
    return CollectRows<StageFlakiness>(**s, [](const SqlStmt& row) {
      return StageFlakiness{row.Text(0), row.Int(1), row.Int(2)};
    });
  });
}

}  // namespace ccci
