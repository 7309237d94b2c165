#pragma once
// JSON views of store records for /api/* (RapidJSON writer; field names are the API).

#include <string>

#include "bot/forge/outbox_store.h"
#include "bot/store/history_store.h"
#include "bot/store/records.h"

namespace ccci {

std::string RunToJson(const Run& run);
// One run with its stages and level ladder, for /api/runs/{id}: the run's fields plus
//   "stages": [{"name", "status", "reason", "started_at", "duration_ms", "exit_code",
//               "attempts", "log_url", "retry_log_url"}]   in suite order; exit_code and
//               log_url null when there is none (log_url also when logs are not kept); a
//               running stage's duration so far; attempts 2 and retry_log_url the retry's log
//               for a stage that ran twice (flaky, or failed twice), else null
//   "ladder": {"level", "ci_error", "rungs": [{"rung", "name", "status", "reason",
//              "present", "counted"}]}   computed from the stages as the run page shows it
//              (while the run is running, a level so far; "level" null on a CI error)
std::string RunDetailToJson(const Run& run, const std::vector<StageRecord>& stages,
                            bool logs_kept);
// {"runs":[...], "next": "/api/runs?before=N&limit=M&..."} (next is null on the last page).
std::string RunPageToJson(const RunPage& page, const RunQuery& query);
// {"messages": [{"id", "repo", "pr", "kind", "state", "attempts", "last_error", "payload"}]}
std::string OutboxToJson(const std::vector<OutboxMessage>& messages);
// A recipe's history (GET /api/recipes/{owner}/{repo}):
//   {"repo": "o/r", "window": 30,
//    "history": [{"id", "pr", "state", "level", "head_sha", "url"}, ...],
//    "stages": [{"stage", "flaky", "runs", "flaky_rate"}, ...]}
// `history` is the default branch's last `window` ended runs (finished or CI error; level
// null for an error), oldest first, as the sparkline draws them; `stages` says, per stage,
// in how many of those runs it came to a verdict and in how many it was flaky (failed, then
// passed on its retry).
std::string RecipeHistoryJson(const std::string& repo, const std::vector<Run>& history,
                              const std::vector<StageFlakiness>& stages);
// {"error": "..."}
std::string ErrorJson(const std::string& message);

}  // namespace ccci
