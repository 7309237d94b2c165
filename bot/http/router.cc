#include "bot/http/router.h"

#include "bot/http/api_json.h"
#include "bot/http/badges.h"
#include "bot/http/dashboard.h"
#include "bot/http/metrics.h"
#include "bot/http/nightly_board.h"
#include "bot/http/query_string.h"
#include "bot/http/recipe_api.h"
#include "bot/http/stage_logs.h"

namespace ccci {

Router::Router(HttpServices services) : s_(std::move(services)) {}

Route Router::Match(std::string_view path) {
  if (Route r = MatchApiRoute(path, &s_, &health_)) return r;
  if (Route r = MatchRecipeApiRoute(path, &s_)) return r;
  if (Route r = MatchNightlyRoute(path, &s_)) return r;
  if (Route r = MatchBadgeRoute(path, s_.store, s_.data_dir, s_.history, s_.artifacts)) return r;
  if (Route r = MatchStageLogRoute(path, &s_, &log_streams_, &log_renders_)) return r;
  return MatchDashboardRoute(path, s_.store, s_.public_url, s_.forge_url, s_.version,
                             !s_.data_dir.empty(), s_.history);
}

void Router::Start(HttpRequest& req, Respond respond) {
  std::string_view path = req.path();
  Route route = Match(path);
  const char* label = route ? route.label : "other";
  HttpResponse resp;
  if (!route) {
    resp = TextResponse(404, "not found: " + std::string(path.substr(0, 200)));
  } else if (route.get_only && req.method != "GET" && req.method != "HEAD") {
    label = "other";
    resp = TextResponse(405, "method not allowed: use GET");
    resp.Set("Allow", "GET, HEAD");
  } else if (auto query = ParseQuery(req.raw_query()); !query.ok()) {
    const std::string& why = query.status().message();
    bool api = std::string_view(label).substr(0, 4) == "api_";
    resp = api ? BodyResponse(400, "application/json", ErrorJson(why)) : TextResponse(400, why);
  } else {
    req.query = std::move(*query);
    if (route.start) {
      Metrics* metrics = s_.metrics;
      return route.start(req, [metrics, label, respond = std::move(respond)](HttpResponse r) {
        metrics->ObserveHttpRequest(label, r.status);
        respond(std::move(r));
      });
    }
    resp = route.handle(req);
  }
  s_.metrics->ObserveHttpRequest(label, resp.status);
  respond(std::move(resp));
}

HttpResponse Router::Reject(const HttpRequest& partial, int status, const std::string& reason) {
  bool hook = partial.path() == kHookPath;
  s_.metrics->ObserveHttpRequest(hook ? "hooks" : "other", status);
  if (hook) return RejectDelivery(partial, status, reason, &s_);
  return TextResponse(status, reason);
}

void Router::Dropped(const char* why) { s_.metrics->ObserveDroppedConnection(why); }

}  // namespace ccci
