#pragma once
// JSON views of store records for /api/* (RapidJSON writer; field names are the API).

#include <string>

#include "bot/forge/outbox_store.h"
#include "bot/store/store.h"

namespace ccci {

std::string RunToJson(const Run& run);
// {"runs":[...], "next": "/api/runs?before=N&limit=M&..."} (next is null on the last page).
std::string RunPageToJson(const RunPage& page, const RunQuery& query);
// {"messages": [{"id", "repo", "pr", "kind", "state", "attempts", "last_error", "payload"}]}
std::string OutboxToJson(const std::vector<OutboxMessage>& messages);
// {"error": "..."}
std::string ErrorJson(const std::string& message);

}  // namespace ccci
