#pragma once
// Dashboard routes (server-rendered HTML, no JavaScript needed): / (recent runs, paged),
// /runs/{id} (facts, stage table, level ladder), /recipes/{owner}/{repo} (history of levels),
// /badges/{owner}/{repo} (badge URLs to copy), /assets/style.css and /assets/log.js (the
// optional live log script). Stage logs are bot/http/stage_logs.h.

#include <string>
#include <string_view>

#include "bot/http/route.h"

namespace ccci {

class HistoryStore;
class RunReader;

// The policy of every dashboard page: scripts only from /assets, no inline script or style.
inline constexpr const char* kDashboardCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'";

// "owner/name" as Gitea allows it (letters, digits, '-', '_', '.'), nothing else.
bool ValidRepo(const std::string& repo);

// The route for `path` (query string removed) if it is a dashboard page, else none.
// `public_url` prefixes the copyable badge URLs; `forge_url` (gitea.url, may be empty) is where
// run pages link PRs, commits and branches; `logs_kept` says whether stage logs are served (the
// run page links them); `history` draws the recipe page's level chart and flaky rates (null:
// none).
Route MatchDashboardRoute(std::string_view path, RunReader* store, const std::string& public_url,
                          const std::string& forge_url, const std::string& version, bool logs_kept,
                          HistoryStore* history = nullptr);

}  // namespace ccci
