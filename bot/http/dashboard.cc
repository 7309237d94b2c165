#include "bot/http/dashboard.h"

#include <set>

#include "base/clock.h"
#include "bot/report/level_history.h"
#include "bot/runner/suite_level.h"
#include "bot/store/history_store.h"
#include "bot/store/run_reader.h"
#include "domain/routes.h"
#include "renderer/pages.h"

namespace ccci {
namespace {

render::RunView ToView(const Run& r, const std::string& forge_url) {
  render::RunView v;
  v.forge_url = forge_url;
  v.id = r.id;
  v.repo = r.repo;
  v.pr = r.pr;
  v.sha = r.head_sha;
  v.ref = r.head_ref;
  v.title = r.title;
  v.author = r.author;
  v.state = r.state;
  if (r.level) v.level = static_cast<int>(*r.level);
  v.reason = r.reason;
  v.trigger = r.trigger;
  v.created = FormatRfc3339Millis(r.created_at_ms);
  if (r.started_at_ms) v.started = FormatRfc3339Millis(*r.started_at_ms);
  if (r.finished_at_ms) v.finished = FormatRfc3339Millis(*r.finished_at_ms);
  if (r.state == kRunRunning) v.stage = r.stage;
  return v;
}

std::vector<render::StageView> StageViews(const std::vector<StageRecord>& records, bool logs_kept) {
  int64_t now = RealClock()->NowUnixMillis();
  std::vector<render::StageView> out;
  for (const StageRecord& r : records) {
    render::StageView v;
    v.result = ToStageResult(r, now);
    v.has_exit_code = r.exit_code.has_value();
    if (r.started_at_ms > 0) v.started = FormatRfc3339Millis(r.started_at_ms);
    if (logs_kept && !r.log_path.empty()) {
      v.log_url = routes::StageLog(r.run_id, r.name);
      if (r.attempts > 1) v.retry_log_url = routes::StageLog(r.run_id, r.name, r.attempts);
    }
    out.push_back(std::move(v));
  }
  return out;
}

enum class Page { kList, kRun, kRecipe, kBadges, kStyle, kScript };

struct PageContext {
  RunReader* store;
  std::string public_url;
  std::string forge_url;
  std::string version;
  bool logs_kept;
  HistoryStore* history;
};

HttpResponse Html(int status, std::string body) {
  HttpResponse r = BodyResponse(status, "text/html; charset=utf-8", std::move(body));
  r.Set("Content-Security-Policy", kDashboardCsp);
  return r;
}

HttpResponse PlainPage(int status, const std::string& line) {
  HttpResponse r = BodyResponse(status, "text/plain; charset=utf-8", line);
  r.Set("Content-Security-Policy", kDashboardCsp);
  return r;
}

HttpResponse Asset(std::string_view body, const char* type) {
  HttpResponse r = BodyResponse(200, type, std::string(body));
  r.Set("Content-Security-Policy", kDashboardCsp);
  r.Set("Cache-Control", "public, max-age=3600");
  return r;
}

HttpResponse ServeList(const HttpRequest& req, const PageContext& c) {
  RunQuery q;
  q.limit = 50;
  for (const auto& [k, v] : req.query) {
    if (k == "before" && !v.empty() && v.size() < 19 &&
        v.find_first_not_of("0123456789") == std::string::npos) {
      q.before_id = std::stoll(v);
    }
  }
  auto page = c.store->ListRuns(q);
  if (!page.ok()) return Html(503, "store unavailable");
  std::vector<render::RunView> views;
  for (const Run& r : page->runs) views.push_back(ToView(r, c.forge_url));
  std::string next = page->next_before_id ? "/?before=" + std::to_string(page->next_before_id) : "";
  return Html(200, render::RenderRunListPage(views, next, c.version));
}

HttpResponse ServeRun(const std::string& id, const PageContext& c) {
  auto run = c.store->GetRun(std::stoll(id));
  if (!run.ok()) return PlainPage(404, "no run " + id);
  auto stages = c.store->ListStages(run->id);
  if (!stages.ok()) return PlainPage(503, "store unavailable");
  return Html(200, render::RenderRunPage(ToView(*run, c.forge_url),
                                         StageViews(*stages, c.logs_kept), c.version));
}

render::RecipeHistoryView RecipeHistory(const std::string& repo, const PageContext& c) {
  render::RecipeHistoryView h;
  h.window = kHistoryWindow;
  h.chart = ChartRuns(c.history, repo);
  if (!c.history) return h;
  if (auto flaky = c.history->FlakyStages(repo, kHistoryWindow); flaky.ok()) {
    for (const StageFlakiness& f : *flaky) h.flaky.push_back({f.stage, f.flaky, f.ran});
  }
  return h;
}

HttpResponse ServeRepoPage(Page page, const std::string& repo, const PageContext& c) {
  RunQuery q;
  q.repo = repo;
  q.limit = page == Page::kRecipe ? static_cast<int>(render::kRecipePageRuns) : 200;
  auto runs = c.store->ListRuns(q);
  if (!runs.ok()) return Html(503, "store unavailable");
  if (page == Page::kRecipe) {
    std::vector<render::RunView> views;
    for (const Run& r : runs->runs) views.push_back(ToView(r, c.forge_url));
    return Html(200, render::RenderRecipePage(repo, views, c.version, RecipeHistory(repo, c)));
  }
  std::set<int64_t, std::greater<int64_t>> prs;
  for (const Run& r : runs->runs) {
    if (r.pr > 0 && prs.size() < 10) prs.insert(r.pr);
  }
  return Html(200,
              render::RenderBadgesPage(repo, c.public_url,
                                       std::vector<int64_t>(prs.begin(), prs.end()), c.version));
}

HttpResponse Serve(Page page, const std::string& arg, const HttpRequest& req,
                   const PageContext& c) {
  switch (page) {
    case Page::kStyle:
      return Asset(render::StyleSheet(), "text/css; charset=utf-8");
    case Page::kScript:
      return Asset(render::LogScript(), "text/javascript; charset=utf-8");
    case Page::kList:
      return ServeList(req, c);
    case Page::kRun:
      return ServeRun(arg, c);
    case Page::kRecipe:
    case Page::kBadges:
      return ServeRepoPage(page, arg, c);
  }
  return PlainPage(404, "not found");
}

}  // namespace

bool ValidRepo(const std::string& repo) {
  size_t slash = repo.find('/');
  return slash != std::string::npos && slash > 0 && slash + 1 < repo.size() &&
         repo.find('/', slash + 1) == std::string::npos && repo.size() <= 200 &&
         repo.find_first_not_of(
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./") ==
             std::string::npos;
}

Route MatchDashboardRoute(std::string_view route_path, RunReader* store,
                          const std::string& public_url, const std::string& forge_url,
                          const std::string& version, bool logs_kept, HistoryStore* history) {
  std::string path(route_path);
  auto make = [&](Page p, std::string arg) -> Route {
    return {"dashboard",
            [p, arg = std::move(arg),
             c = PageContext{store, public_url, forge_url, version, logs_kept, history}](
                HttpRequest& r) { return Serve(p, arg, r, c); }};
  };
  if (path == "/") return make(Page::kList, "");
  if (path == "/assets/style.css") return make(Page::kStyle, "");
  if (path == "/assets/log.js") return make(Page::kScript, "");
  const std::string runs(routes::kRuns);
  if (path.rfind(runs, 0) == 0) {
    std::string id = path.substr(runs.size());
    if (!id.empty() && id.size() < 19 && id.find_first_not_of("0123456789") == std::string::npos) {
      return make(Page::kRun, id);
    }
    return {};
  }
  for (auto [prefix, page] :
       {std::pair{routes::kRecipes, Page::kRecipe}, {routes::kBadges, Page::kBadges}}) {
    std::string p(prefix);
    if (path.rfind(p, 0) == 0 && ValidRepo(path.substr(p.size()))) {
      return make(page, path.substr(p.size()));
    }
  }
  return {};
}

}  // namespace ccci
