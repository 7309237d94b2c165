#pragma once
// Dashboard routes (server-rendered HTML, no JavaScript needed): / (recent runs, paged),
// /runs/{id}, /recipes/{owner}/{repo} (history of levels), /badges/{owner}/{repo} (badge URLs
// to copy) and /assets/style.css.

#include <string>

namespace Poco::Net {
class HTTPRequestHandler;
}

namespace ccci {

class Metrics;
class Store;

// A handler for a GET of `path` (query string removed) if it is a dashboard route, else
// nullptr. `public_url` prefixes the copyable badge URLs.
Poco::Net::HTTPRequestHandler* MakeDashboardHandler(const std::string& path, Store* store,
                                                    Metrics* metrics,
                                                    const std::string& public_url,
                                                    const std::string& version);

}  // namespace ccci
