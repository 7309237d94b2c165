#include "bot/http/badges.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "base/clock.h"
#include "base/sha256.h"
#include "base/whole_file.h"
#include "bot/report/level_history.h"
#include "bot/runner/suite_level.h"
#include "bot/store/artifact_store.h"
#include "bot/store/run_queries.h"
#include "domain/routes.h"
#include "renderer/card.h"
#include "renderer/screenshotter.h"

namespace ccci {
namespace {

enum class Format { kSvg, kPng, kJson, kCard, kScreenshot };

bool IsActive(const std::string& state) {
  return state == kRunQueued || state == kRunWaiting || state == kRunRunning;
}

std::optional<Run> Newest(RunReader* store, const std::string& repo, int64_t pr,
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
  std::string color =
      spec.color.size() > 1 && spec.color[0] == '#' ? spec.color.substr(1) : spec.color;
  w.String(color.c_str());
  w.EndObject();
  return buf.GetString();
}

// The answer for `body`, with an ETag of its bytes: 304 when the peer has it already.
HttpResponse Cached(const HttpRequest& req, std::string body, std::string type, int max_age_s) {
  HttpResponse r;
  std::string etag = "\"" + Sha256Hex(body).substr(0, 20) + "\"";
  r.Set("ETag", etag);
  r.Set("Cache-Control", "public, max-age=" + std::to_string(max_age_s));
  r.Set("X-Content-Type-Options", "nosniff");
  if (req.Header("If-None-Match") == etag) {
    r.status = 304;
    return r;
  }
  r.content_type = std::move(type);
  r.body = std::move(body);
  return r;
}

// A badge of a run (run_id > 0) or of the newest run of repo/pr.
HttpResponse ServeBadge(const HttpRequest& req, RunReader* store, Format format,
                        const std::string& repo, int64_t pr, int64_t run_id) {
  BadgeAnswer a;
  if (run_id > 0) {
    auto run = store->GetRun(run_id);
    if (run.ok()) {
      a = BadgeForRun(*run);
    } else {
      a.spec = render::BadgeForState("unknown");
      a.max_age_s = 60;
    }
  } else {
    a = BadgeForLatest(store, repo, pr);
  }
  if (format == Format::kPng) {
    auto png = render::RenderBadgePng(a.spec);
    return Cached(req, png.ok() ? *png : "", "image/png", a.max_age_s);
  }
  if (format == Format::kJson)
    return Cached(req, ShieldsJson(a.spec), "application/json", a.max_age_s);
  return Cached(req, render::RenderBadgeSvg(a.spec), "image/svg+xml", a.max_age_s);
}

// The run's screenshot: the store's copy (taken on any host), else the file of this host's
// runner (runs from before the store kept it); empty when there is none.
std::string Screenshot(ArtifactStore* artifacts, const std::string& data_dir, int64_t run_id) {
  if (artifacts) {
    if (auto blob = artifacts->GetBlob(run_id, kScreenshotFile); blob.ok()) return blob->bytes;
  }
  if (data_dir.empty()) return "";
  return ReadWholeFile(data_dir + "/runs/" + std::to_string(run_id) + "/" + kScreenshotFile);
}

// The run's summary card; a run not finished yet gets a card that says so, cached briefly,
// so a PR comment can link it at queue time.
HttpResponse ServeCard(const HttpRequest& req, RunReader* store, int64_t run_id,
                       const std::string& data_dir, HistoryStore* history,
                       ArtifactStore* artifacts) {
  auto run = store->GetRun(run_id);
  if (!run.ok()) return TextResponse(404, "no run " + std::to_string(run_id));
  render::RunSummary sum;
  sum.repo = run->repo;
  sum.recipe = run->repo.substr(run->repo.find('/') + 1);
  sum.pr = run->pr;
  sum.short_sha = run->head_sha.substr(0, 7);
  sum.state = run->state;
  if (run->level) sum.level = static_cast<int>(*run->level);
  int64_t now = RealClock()->NowUnixMillis();
  if (auto stages = store->ListStages(run_id); stages.ok()) {
    for (const StageRecord& st : *stages) sum.stages.push_back(ToStageResult(st, now));
  }
  sum.screenshot_png = Screenshot(artifacts, data_dir, run_id);
  if (auto base = DefaultBranchLevel(store, *run)) sum.previous_level = static_cast<int>(*base);
  sum.history = SparklineFor(history, *run);
  auto png = render::RenderCardPng(sum);
  bool final = run->state == kRunFinished || run->state == kRunError;
  return Cached(req, png.ok() ? *png : "", "image/png", final ? 86400 : 10);
}

// The app's screenshot taken during the run; a placeholder until there is one.
HttpResponse ServeScreenshot(const HttpRequest& req, RunReader* store, int64_t run_id,
                             const std::string& data_dir, ArtifactStore* artifacts) {
  auto run = store->GetRun(run_id);
  if (!run.ok()) return TextResponse(404, "no run " + std::to_string(run_id));
  std::string png = Screenshot(artifacts, data_dir, run_id);
  bool final = !IsActive(run->state);
  if (!png.empty()) return Cached(req, std::move(png), "image/png", final ? 86400 : 10);
  auto placeholder = render::PlaceholderScreenshotPng(final ? "no screenshot of this run"
                                                            : "screenshot not taken yet");
  return Cached(req, placeholder.ok() ? *placeholder : "", "image/png", final ? 3600 : 10);
}

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

BadgeAnswer BadgeForLatest(RunReader* store, const std::string& repo, int64_t pr) {
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

Route MatchBadgeRoute(std::string_view route_path, RunReader* store, const std::string& data_dir,
                      HistoryStore* history, ArtifactStore* artifacts) {
  std::string path(route_path);
  Format f;
  // /runs/{id}/badge.svg|png, /runs/{id}/card.png, /runs/{id}/screenshot.png
  const std::string runs(routes::kRuns);
  if (path.rfind(runs, 0) == 0) {
    std::string rest = path.substr(runs.size());
    size_t slash = rest.find('/');
    if (slash == std::string::npos) return {};
    std::string tail = rest.substr(slash + 1);
    int64_t id;
    if (!ParseId(rest.substr(0, slash), &id)) return {};
    if (tail == "card.png") {
      return {"card", [=](HttpRequest& r) {
                return ServeCard(r, store, id, data_dir, history, artifacts);
              }};
    }
    if (tail == "screenshot.png") {
      return {"screenshot",
              [=](HttpRequest& r) { return ServeScreenshot(r, store, id, data_dir, artifacts); }};
    }
    if (!StripFormat(&tail, &f, false) || tail != "badge") return {};
    return {"badge", [=](HttpRequest& r) { return ServeBadge(r, store, f, "", 0, id); }};
  }
  // /badge/{owner}/{repo}.svg|png|json and /badge/{owner}/{repo}/pulls/{n}.svg|png
  const std::string badge(routes::kBadge);
  if (path.rfind(badge, 0) != 0) return {};
  std::string rest = path.substr(badge.size());
  std::vector<std::string> parts;
  for (size_t start = 0;;) {
    size_t end = rest.find('/', start);
    parts.push_back(rest.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  if (parts.size() == 2) {
    if (!StripFormat(&parts[1], &f, true)) return {};
    if (!ValidName(parts[0]) || !ValidName(parts[1])) return {};
    std::string repo = parts[0] + "/" + parts[1];
    return {"badge", [=](HttpRequest& r) { return ServeBadge(r, store, f, repo, 0, 0); }};
  }
  if (parts.size() == 3 && parts[2] == "history.svg") {
    if (!ValidName(parts[0]) || !ValidName(parts[1])) return {};
    std::string repo = parts[0] + "/" + parts[1];
    return {"badge", [=](HttpRequest& r) {
              // Like the latest badge: a new run may end any time.
              return Cached(r, render::RenderHistorySvg(LatestHistory(history, repo), repo),
                            "image/svg+xml", 60);
            }};
  }
  if (parts.size() == 4 && parts[2] == "pulls") {
    int64_t pr;
    if (!StripFormat(&parts[3], &f, false) || !ParseId(parts[3], &pr)) return {};
    if (!ValidName(parts[0]) || !ValidName(parts[1])) return {};
    std::string repo = parts[0] + "/" + parts[1];
    return {"badge", [=](HttpRequest& r) { return ServeBadge(r, store, f, repo, pr, 0); }};
  }
  return {};
}

}  // namespace ccci
