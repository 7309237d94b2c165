#include "bot/http/badges.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fstream>
#include <sstream>

#include "base/clock.h"
#include "bot/http/metrics.h"
#include "bot/intake/signature.h"
#include "bot/report/level_history.h"
#include "bot/report/reporter.h"
#include "bot/report/stage_views.h"
#include "renderer/screenshotter.h"
#include "renderer/card.h"

namespace ccci {
namespace {

enum class Format { kSvg, kPng, kJson, kCard, kScreenshot, kHistory };

// The file's bytes, or empty when it cannot be read.
std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return in ? ss.str() : std::string();
}

bool IsActive(const std::string& state) {
  return state == kRunQueued || state == kRunWaiting || state == kRunRunning;
}

std::optional<Run> Newest(Store* store, const std::string& repo, int64_t pr,
                          const std::string& state) {
  RunQuery q;
  q.repo = repo;
  q.pr = pr;
  q.state = state;
  q.limit = 1;
  auto page = store->ListRuns(q);
  if (!page.ok() || page->runs.empty()) return std::nullopt;
  return page->runs[0];
}

std::string ShieldsJson(const render::BadgeSpec& spec) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("schemaVersion");
  w.Int(1);
  w.Key("label");
  w.String(spec.label.c_str());
  w.Key("message");
  w.String(spec.message.c_str());
  w.Key("color");
  std::string color = spec.color.size() > 1 && spec.color[0] == '#' ? spec.color.substr(1) : spec.color;
  w.String(color.c_str());
  w.EndObject();
  return buf.GetString();
}

class BadgeHandler : public Poco::Net::HTTPRequestHandler {
 public:
  BadgeHandler(Store* store, Metrics* metrics, Format format, std::string repo, int64_t pr,
               int64_t run_id, std::string data_dir = "", HistoryStore* history = nullptr)
      : store_(store), metrics_(metrics), format_(format), repo_(std::move(repo)), pr_(pr),
        run_id_(run_id), data_dir_(std::move(data_dir)), history_(history) {}

  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    if (format_ == Format::kCard) return ServeCard(req, resp);
    if (format_ == Format::kScreenshot) return ServeScreenshot(req, resp);
    if (format_ == Format::kHistory) {
      // Like the latest badge: a new run may end any time.
      return Send(req, resp, render::RenderHistorySvg(LatestHistory(history_, repo_), repo_),
                  "image/svg+xml", 60);
    }
    BadgeAnswer a;
    if (run_id_ > 0) {
      auto run = store_->GetRun(run_id_);
      if (run.ok()) {
        a = BadgeForRun(*run);
      } else {
        a.spec = render::BadgeForState("unknown");
        a.max_age_s = 60;
      }
    } else {
      a = BadgeForLatest(store_, repo_, pr_);
    }
    std::string body, type;
    switch (format_) {
      case Format::kSvg:
        body = render::RenderBadgeSvg(a.spec);
        type = "image/svg+xml";
        break;
      case Format::kPng: {
        auto png = render::RenderBadgePng(a.spec);
        body = png.ok() ? *png : "";
        type = "image/png";
        break;
      }
      case Format::kJson:
        body = ShieldsJson(a.spec);
        type = "application/json";
        break;
      case Format::kCard:
      case Format::kScreenshot:
      case Format::kHistory:
        break;
    }
    Send(req, resp, body, type, a.max_age_s);
  }

 private:
  // The run's summary card; a run not finished yet gets a card that says so, cached briefly,
  // so a PR comment can link it at queue time.
  void ServeCard(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
    auto run = store_->GetRun(run_id_);
    if (!run.ok()) {
      resp.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NOT_FOUND);
      resp.setContentType("text/plain");
      resp.send() << "no run " << run_id_ << "\n";
      metrics_->ObserveHttpRequest("card", 404);
      return;
    }
    render::RunSummary sum;
    sum.repo = run->repo;
    sum.recipe = run->repo.substr(run->repo.find('/') + 1);
    sum.pr = run->pr;
    sum.short_sha = run->head_sha.substr(0, 7);
    sum.state = run->state;
    if (run->level) sum.level = static_cast<int>(*run->level);
    int64_t now = RealClock()->NowUnixMillis();
    if (auto stages = store_->ListStages(run_id_); stages.ok()) {
      for (const StageRecord& st : *stages) sum.stages.push_back(ToStageResult(st, now));
    }
    if (!data_dir_.empty()) sum.screenshot_png = ReadWhole(ScreenshotPath());
    if (auto base = DefaultBranchLevel(store_, *run)) sum.previous_level = static_cast<int>(*base);
    sum.history = SparklineFor(history_, *run);
    auto png = render::RenderCardPng(sum);
    bool final = run->state == kRunFinished || run->state == kRunError;
    Send(req, resp, png.ok() ? *png : "", "image/png", final ? 86400 : 10);
  }

  std::string ScreenshotPath() const {
    return data_dir_ + "/runs/" + std::to_string(run_id_) + "/screenshot.png";
  }

  // The app's screenshot taken during the run; a placeholder until there is one.
  void ServeScreenshot(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
    auto run = store_->GetRun(run_id_);
    if (!run.ok()) {
      resp.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NOT_FOUND);
      resp.setContentType("text/plain");
      resp.send() << "no run " << run_id_ << "\n";
      metrics_->ObserveHttpRequest("screenshot", 404);
      return;
    }
    std::string png = data_dir_.empty() ? "" : ReadWhole(ScreenshotPath());
    bool final = !IsActive(run->state);
    if (png.empty()) {
      auto placeholder = render::PlaceholderScreenshotPng(
          final ? "no screenshot of this run" : "screenshot not taken yet");
      png = placeholder.ok() ? *placeholder : "";
      Send(req, resp, png, "image/png", final ? 3600 : 10);
      return;
    }
    Send(req, resp, png, "image/png", final ? 86400 : 10);
  }

  void Send(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
            const std::string& body, const std::string& type, int max_age_s) {
    std::string etag = "\"" + Sha256Hex(body).substr(0, 20) + "\"";
    resp.set("ETag", etag);
    resp.set("Cache-Control", "public, max-age=" + std::to_string(max_age_s));
    resp.set("X-Content-Type-Options", "nosniff");
    if (req.get("If-None-Match", "") == etag) {
      resp.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NOT_MODIFIED);
      resp.setContentLength(0);
      resp.send();
      metrics_->ObserveHttpRequest("badge", 304);
      return;
    }
    resp.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_OK);
    resp.setContentType(type);
    resp.setContentLength64(static_cast<Poco::Int64>(body.size()));
    resp.send().write(body.data(), static_cast<std::streamsize>(body.size()));
    metrics_->ObserveHttpRequest("badge", 200);
  }

  Store* store_;
  Metrics* metrics_;
  Format format_;
  std::string repo_;
  int64_t pr_;
  int64_t run_id_;
  std::string data_dir_;  // stage logs and screenshots: <data_dir>/runs/<id>/
  HistoryStore* history_;
};

bool StripFormat(std::string* s, Format* f, bool allow_json) {
  auto strip = [&](const std::string& ext, Format fmt) {
    if (s->size() > ext.size() && s->compare(s->size() - ext.size(), ext.size(), ext) == 0) {
      s->resize(s->size() - ext.size());
      *f = fmt;
      return true;
    }
    return false;
  };
  return strip(".svg", Format::kSvg) || strip(".png", Format::kPng) ||
         (allow_json && strip(".json", Format::kJson));
}

bool ParseId(const std::string& s, int64_t* out) {
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  *out = std::stoll(s);
  return *out > 0;
}

bool ValidName(const std::string& s) {
  return !s.empty() && s.size() <= 100 &&
         s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") ==
             std::string::npos;
}

}  // namespace

BadgeAnswer BadgeForRun(const Run& run) {
  BadgeAnswer a;
  if (run.state == kRunFinished && run.level) {
    a.spec = render::BadgeForLevel(static_cast<int>(*run.level));
    a.max_age_s = 86400;  // a finished run's badge never changes
  } else if (run.state == kRunError) {
    a.spec = render::BadgeForState("ci error");
    a.max_age_s = 86400;
  } else if (IsActive(run.state)) {
    a.spec = render::BadgeForState(run.state);
    a.max_age_s = 10;
  } else {
    a.spec = render::BadgeForState(run.state);  // cancelled, superseded
    a.max_age_s = 300;
  }
  return a;
}

BadgeAnswer BadgeForLatest(Store* store, const std::string& repo, int64_t pr) {
  std::optional<Run> finished = Newest(store, repo, pr, kRunFinished);
  std::optional<Run> error = Newest(store, repo, pr, kRunError);
  std::optional<Run> best = finished;
  if (error && (!best || error->id > best->id)) best = error;
  BadgeAnswer a;
  if (best) {
    a = BadgeForRun(*best);
  } else if (auto any = Newest(store, repo, pr, "")) {
    a = BadgeForRun(*any);
  } else {
    a.spec = render::BadgeForState("unknown");
  }
  a.max_age_s = std::min(a.max_age_s, 60);  // a newer run may finish any time
  return a;
}

Poco::Net::HTTPRequestHandler* MakeBadgeHandler(const std::string& path, Store* store,
                                                Metrics* metrics, const std::string& data_dir,
                                                HistoryStore* history) {
  Format f;
  // /runs/{id}/badge.svg|png
  const std::string runs = "/runs/";
  if (path.rfind(runs, 0) == 0) {
    std::string rest = path.substr(runs.size());
    size_t slash = rest.find('/');
    if (slash == std::string::npos) return nullptr;
    std::string tail = rest.substr(slash + 1);
    int64_t id;
    if (!ParseId(rest.substr(0, slash), &id)) return nullptr;
    if (tail == "card.png") {
      return new BadgeHandler(store, metrics, Format::kCard, "", 0, id, data_dir, history);
    }
    if (tail == "screenshot.png") {
      return new BadgeHandler(store, metrics, Format::kScreenshot, "", 0, id, data_dir);
    }
    if (!StripFormat(&tail, &f, false) || tail != "badge") return nullptr;
    return new BadgeHandler(store, metrics, f, "", 0, id);
  }
  // /badge/{owner}/{repo}.svg|png|json and /badge/{owner}/{repo}/pulls/{n}.svg|png
  const std::string badge = "/badge/";
  if (path.rfind(badge, 0) != 0) return nullptr;
  std::string rest = path.substr(badge.size());
  std::vector<std::string> parts;
  for (size_t start = 0;;) {
    size_t end = rest.find('/', start);
    parts.push_back(rest.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  if (parts.size() == 2) {
    if (!StripFormat(&parts[1], &f, true)) return nullptr;
    if (!ValidName(parts[0]) || !ValidName(parts[1])) return nullptr;
    return new BadgeHandler(store, metrics, f, parts[0] + "/" + parts[1], 0, 0);
  }
  if (parts.size() == 3 && parts[2] == "history.svg") {
    if (!ValidName(parts[0]) || !ValidName(parts[1])) return nullptr;
    return new BadgeHandler(store, metrics, Format::kHistory, parts[0] + "/" + parts[1], 0, 0, "",
                            history);
  }
  if (parts.size() == 4 && parts[2] == "pulls") {
    int64_t pr;
    if (!StripFormat(&parts[3], &f, false) || !ParseId(parts[3], &pr)) return nullptr;
    if (!ValidName(parts[0]) || !ValidName(parts[1])) return nullptr;
    return new BadgeHandler(store, metrics, f, parts[0] + "/" + parts[1], pr, 0);
  }
  return nullptr;
}

}  // namespace ccci
