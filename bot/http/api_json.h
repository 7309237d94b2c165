#pragma once
// JSON views of store records for /api/* (RapidJSON writer; field names are the API).

#include <string>

#include "bot/store/store.h"

namespace ccci {

std::string RunToJson(const Run& run);
// {"runs":[...], "next": "/api/runs?before=N&limit=M&..."} (next is null on the last page).
std::string RunPageToJson(const RunPage& page, const RunQuery& query);
// {"error": "..."}
std::string ErrorJson(const std::string& message);

}  // namespace ccci
