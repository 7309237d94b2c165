#pragma once
// Dashboard routes (server-rendered HTML, no JavaScript needed): / (recent runs, paged),
// /runs/{id} (facts, stage table, level ladder), /recipes/{owner}/{repo} (history of levels),
// /badges/{owner}/{repo} (badge URLs to copy), /assets/style.css and /assets/log.js (the
// optional live log script). Stage logs are bot/http/stage_logs.h.

#include <string>

namespace Poco::Net {
class HTTPRequestHandler;
}

namespace ccci {

class Metrics;
class Store;

// The policy of every dashboard page: scripts only from /assets, no inline script or style.
inline constexpr const char* kDashboardCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'";

// A handler for a GET of `path` (query string removed) if it is a dashboard route, else
// nullptr. `public_url` prefixes the copyable badge URLs; `forge_url` (gitea.url, may be
// empty) is where run pages link PRs, commits and branches; `logs_kept` says whether stage
// logs are served (the run page links them).
Poco::Net::HTTPRequestHandler* MakeDashboardHandler(const std::string& path, Store* store,
                                                    Metrics* metrics, const std::string& public_url,
                                                    const std::string& forge_url,
                                                    const std::string& version, bool logs_kept);

}  // namespace ccci
