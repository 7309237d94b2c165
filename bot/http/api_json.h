#pragma once
// JSON views of store records for /api/* (RapidJSON writer; field names are the API).

#include <string>

#include "bot/forge/outbox_store.h"
#include "bot/store/store.h"

namespace ccci {

std::string RunToJson(const Run& run);
// One run with its stages and level ladder, for /api/runs/{id}: the run's fields plus
//   "stages": [{"name", "status", "reason", "started_at", "duration_ms", "exit_code",
//               "log_url"}]   in suite order; exit_code and log_url null when there is none
//               (log_url also when logs are not kept); a running stage's duration so far
//   "ladder": {"level", "ci_error", "rungs": [{"rung", "name", "status", "reason",
//              "present", "counted"}]}   computed from the stages as the run page shows it
//              (while the run is running, a level so far; "level" null on a CI error)
std::string RunDetailToJson(const Run& run, const std::vector<StageRecord>& stages,
                            bool logs_kept);
// {"runs":[...], "next": "/api/runs?before=N&limit=M&..."} (next is null on the last page).
std::string RunPageToJson(const RunPage& page, const RunQuery& query);
// {"messages": [{"id", "repo", "pr", "kind", "state", "attempts", "last_error", "payload"}]}
std::string OutboxToJson(const std::vector<OutboxMessage>& messages);
// {"error": "..."}
std::string ErrorJson(const std::string& message);

}  // namespace ccci
