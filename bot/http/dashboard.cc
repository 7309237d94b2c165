#include "bot/http/dashboard.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/URI.h>

#include <set>

#include "base/clock.h"
#include "bot/http/metrics.h"
#include "bot/report/stage_views.h"
#include "bot/store/store.h"
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
    if (logs_kept && !r.log_path.empty()) v.log_url = StageLogPath(r.run_id, r.name);
    out.push_back(std::move(v));
  }
  return out;
}

bool ValidRepo(const std::string& repo) {
  size_t slash = repo.find('/');
  return slash != std::string::npos && slash > 0 && slash + 1 < repo.size() &&
         repo.find('/', slash + 1) == std::string::npos && repo.size() <= 200 &&
         repo.find_first_not_of(
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./") ==
             std::string::npos;
}

enum class Page { kList, kRun, kRecipe, kBadges, kStyle, kScript };

class DashboardHandler : public Poco::Net::HTTPRequestHandler {
 public:
  DashboardHandler(Page page, std::string arg, Store* store, Metrics* metrics,
                   std::string public_url, std::string forge_url, std::string version,
                   bool logs_kept)
      : page_(page),
        arg_(std::move(arg)),
        store_(store),
        metrics_(metrics),
        public_url_(std::move(public_url)),
        forge_url_(std::move(forge_url)),
        version_(std::move(version)),
        logs_kept_(logs_kept) {}

  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    int status = 200;
    std::string body, type = "text/html; charset=utf-8";
    switch (page_) {
      case Page::kStyle:
        body = std::string(render::StyleSheet());
        type = "text/css; charset=utf-8";
        resp.set("Cache-Control", "public, max-age=3600");
        break;
      case Page::kScript:
        body = std::string(render::LogScript());
        type = "text/javascript; charset=utf-8";
        resp.set("Cache-Control", "public, max-age=3600");
        break;
      case Page::kList: {
        RunQuery q;
        q.limit = 50;
        for (const auto& [k, v] : Poco::URI(req.getURI()).getQueryParameters()) {
          if (k == "before" && !v.empty() && v.size() < 19 &&
              v.find_first_not_of("0123456789") == std::string::npos) {
            q.before_id = std::stoll(v);
          }
        }
        auto page = store_->ListRuns(q);
        if (!page.ok()) {
          status = 503;
          body = "store unavailable";
          break;
        }
        std::vector<render::RunView> views;
        for (const Run& r : page->runs) views.push_back(ToView(r, forge_url_));
        std::string next = page->next_before_id ? "/?before=" + std::to_string(page->next_before_id) : "";
        body = render::RenderRunListPage(views, next, version_);
        break;
      }
      case Page::kRun: {
        auto run = store_->GetRun(std::stoll(arg_));
        if (!run.ok()) {
          status = 404;
          body = "no run " + arg_;
          type = "text/plain; charset=utf-8";
          break;
        }
        auto stages = store_->ListStages(run->id);
        if (!stages.ok()) {
          status = 503;
          body = "store unavailable";
          type = "text/plain; charset=utf-8";
          break;
        }
        body = render::RenderRunPage(ToView(*run, forge_url_), StageViews(*stages, logs_kept_), version_);
        break;
      }
      case Page::kRecipe:
      case Page::kBadges: {
        RunQuery q;
        q.repo = arg_;
        q.limit = page_ == Page::kRecipe ? static_cast<int>(render::kRecipePageRuns) : 200;
        auto page = store_->ListRuns(q);
        if (!page.ok()) {
          status = 503;
          body = "store unavailable";
          break;
        }
        if (page_ == Page::kRecipe) {
          std::vector<render::RunView> views;
          for (const Run& r : page->runs) views.push_back(ToView(r, forge_url_));
          body = render::RenderRecipePage(arg_, views, version_);
        } else {
          std::set<int64_t, std::greater<int64_t>> prs;
          for (const Run& r : page->runs) {
            if (r.pr > 0 && prs.size() < 10) prs.insert(r.pr);
          }
          body = render::RenderBadgesPage(arg_, public_url_,
                                          std::vector<int64_t>(prs.begin(), prs.end()), version_);
        }
        break;
      }
    }
    resp.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    resp.setContentType(type);
    resp.set("X-Content-Type-Options", "nosniff");
    resp.set("Content-Security-Policy", kDashboardCsp);
    resp.setContentLength64(static_cast<Poco::Int64>(body.size()));
    resp.send().write(body.data(), static_cast<std::streamsize>(body.size()));
    metrics_->ObserveHttpRequest("dashboard", status);
  }

 private:
  Page page_;
  std::string arg_;
  Store* store_;
  Metrics* metrics_;
  std::string public_url_;
  std::string forge_url_;
  std::string version_;
  bool logs_kept_;
};

}  // namespace

Poco::Net::HTTPRequestHandler* MakeDashboardHandler(const std::string& path, Store* store,
                                                    Metrics* metrics, const std::string& public_url,
                                                    const std::string& forge_url,
                                                    const std::string& version, bool logs_kept) {
  auto make = [&](Page p, std::string arg) {
    return new DashboardHandler(p, std::move(arg), store, metrics, public_url, forge_url, version,
                                logs_kept);
  };
  if (path == "/") return make(Page::kList, "");
  if (path == "/assets/style.css") return make(Page::kStyle, "");
  if (path == "/assets/log.js") return make(Page::kScript, "");
  const std::string runs = "/runs/";
  if (path.rfind(runs, 0) == 0) {
    std::string id = path.substr(runs.size());
    if (!id.empty() && id.size() < 19 && id.find_first_not_of("0123456789") == std::string::npos) {
      return make(Page::kRun, id);
    }
    return nullptr;
  }
  for (auto [prefix, page] : {std::pair{"/recipes/", Page::kRecipe}, {"/badges/", Page::kBadges}}) {
    std::string p = prefix;
    if (path.rfind(p, 0) == 0 && ValidRepo(path.substr(p.size()))) {
      return make(page, path.substr(p.size()));
    }
  }
  return nullptr;
}

}  // namespace ccci
