#include "bot/http/api_routes.h"

#include <sys/statvfs.h>

#include <chrono>

#include "base/clock.h"
#include "base/log.h"
#include "bot/forge/outbox_store.h"
#include "bot/http/api_json.h"
#include "bot/http/metrics.h"
#include "bot/http/query_string.h"
#include "bot/http/server.h"
#include "bot/intake/intake.h"
#include "bot/store/run_reader.h"
#include "domain/routes.h"

namespace ccci {
namespace {

HttpResponse Json(int status, std::string body) {
  return BodyResponse(status, "application/json", std::move(body));
}

HttpResponse JsonError(const Status& s) {
  return Json(HttpStatusFor(s.code()), ErrorJson(s.message()));
}

constexpr const char* kRunStates[] = {kRunQueued, kRunWaiting,   kRunRunning,   kRunFinished,
                                      kRunError,  kRunCancelled, kRunSuperseded};

// Empty when `state` is a run state, else why not.
std::string CheckState(const std::string& state) {
  std::string all;
  for (const char* s : kRunStates) {
    if (state == s) return "";
    all += all.empty() ? s : std::string(", ") + s;
  }
  return "unknown state '" + state.substr(0, 40) + "': use one of " + all;
}

// Answers once the intake has (the delivery committed, or refused): see Intake::HandleAsync.
void StartHook(HttpRequest& req, const HttpServices* s, IntakeHealth* health, Respond respond) {
  auto start = std::chrono::steady_clock::now();
  WebhookRequest w;
  w.method = req.method;
  w.event = req.Header("X-Gitea-Event", req.Header("X-Gogs-Event"));
  if (w.method == "POST") {
    w.content_type = req.Header("Content-Type");
    w.event_type = req.Header("X-Gitea-Event-Type", req.Header("X-Gogs-Event-Type"));
    w.delivery = req.Header("X-Gitea-Delivery", req.Header("X-Gogs-Delivery"));
    w.signature = req.Header("X-Gitea-Signature", req.Header("X-Gogs-Signature"));
    w.hub_signature_256 = req.Header("X-Hub-Signature-256");
    w.body = std::move(req.body);
  }
  // A 405 too comes from the one place that decides.
  s->intake->HandleAsync(w, [s, health, start, respond = std::move(respond)](IntakeResponse out) {
    health->Observe(out);
    HttpResponse resp = TextResponse(out.status, out.message);
    if (out.status == 405) resp.Set("Allow", "POST");
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    s->metrics->ObserveDelivery(out.event, out.outcome, secs);
    respond(std::move(resp));
  });
}

HttpResponse HandleHealth(const HttpServices* s, IntakeHealth* health) {
  auto counts = s->store->CountQueue();
  if (!counts.ok()) return TextResponse(503, "store unavailable: " + counts.status().message());
  if (std::string failure = health->Failure(); !failure.empty()) {
    return TextResponse(503, failure);
  }
  struct statvfs fs;
  if (!s->data_dir.empty() && statvfs(s->data_dir.c_str(), &fs) == 0) {
    auto free_bytes = static_cast<int64_t>(fs.f_bavail) * static_cast<int64_t>(fs.f_frsize);
    if (free_bytes < kMinFreeDiskBytes) {
      return TextResponse(503, "disk full: " + std::to_string(free_bytes) +
                                   " bytes free for the data dir; deliveries cannot be stored");
    }
  }
  return TextResponse(200, "ok");
}

HttpResponse HandleMetrics(const HttpServices* s) {
  auto counts = s->store->CountQueue();
  return BodyResponse(200, "text/plain; version=0.0.4; charset=utf-8",
                      s->metrics->Render(counts.ok() ? *counts : QueueCounts{}));
}

HttpResponse HandleRun(const HttpServices* s, const std::string& id_text) {
  int64_t id;
  auto run = ParseDecimal(id_text, &id) ? s->store->GetRun(id)
                                        : Result<Run>(NotFound("no run " + id_text));
  auto stages =
      run.ok() ? s->store->ListStages(run->id) : Result<std::vector<StageRecord>>(run.status());
  if (!stages.ok()) return JsonError(stages.status());
  return Json(200, RunDetailToJson(*run, *stages, !s->data_dir.empty()));
}

HttpResponse HandleRunList(const HttpRequest& req, const HttpServices* s) {
  RunQuery q;
  std::string error;
  for (const auto& [k, v] : req.query) {
    int64_t n = 0;
    if (k == "limit" && ParseDecimal(v, &n) && n >= 1 && n <= 500) {
      q.limit = static_cast<int>(n);
    } else if (k == "before" && ParseDecimal(v, &n)) {
      q.before_id = n;
    } else if (k == "pr" && ParseDecimal(v, &n)) {
      q.pr = n;
    } else if (k == "repo") {
      q.repo = v;
    } else if (k == "state") {
      if (!v.empty()) error = CheckState(v);
      q.state = v;
    } else {
      error = "bad query parameter '" + k.substr(0, 40) + "'";
    }
    if (!error.empty()) return JsonError(InvalidArgument(error));
  }
  auto page = s->store->ListRuns(q);
  return page.ok() ? Json(200, RunPageToJson(*page, q)) : JsonError(page.status());
}

// GET /api/outbox: the newest messages for Gitea, delivered or not (in dry-run: what would
// have been sent); ?repo= and ?pr= narrow it as they do /api/runs, ?limit= (1-500, 100).
HttpResponse HandleOutbox(const HttpRequest& req, const HttpServices* s) {
  int limit = 100;
  OutboxFilter filter;
  for (const auto& [k, v] : req.query) {
    int64_t n = 0;
    if (k == "limit" && ParseDecimal(v, &n) && n >= 1 && n <= 500) {
      limit = static_cast<int>(n);
    } else if (k == "pr" && ParseDecimal(v, &n)) {
      filter.pr = n;
    } else if (k == "repo") {
      filter.repo = v;
    } else {
      return JsonError(InvalidArgument("bad query parameter '" + k.substr(0, 40) + "'"));
    }
  }
  if (!s->outbox) return Json(200, OutboxToJson({}));
  auto msgs = s->outbox->RecentMessages(limit, filter);
  if (!msgs.ok()) return Json(503, ErrorJson(msgs.status().message()));
  return Json(200, OutboxToJson(*msgs));
}

}  // namespace

void IntakeHealth::Observe(const IntakeResponse& r) {
  if (r.outcome == "store_error") {
    std::lock_guard<std::mutex> lock(mu_);
    failure_ = "deliveries cannot be stored: the latest failed at " +
               FormatRfc3339Millis(RealClock()->NowUnixMillis()) +
               " (see the log); healthy again once one is stored";
    failing_ = true;
  } else if ((r.outcome == "accepted" || r.outcome == "ignored") && failing_.load()) {
    std::lock_guard<std::mutex> lock(mu_);
    failing_ = false;
    failure_.clear();
  }
}

std::string IntakeHealth::Failure() const {
  if (!failing_.load()) return "";
  std::lock_guard<std::mutex> lock(mu_);
  return failure_;
}

Route MatchApiRoute(std::string_view path, const HttpServices* s, IntakeHealth* health) {
  if (path == kHookPath) {
    Route r{"hooks", nullptr, false};
    r.start = [s, health](HttpRequest& req, Respond respond) {
      StartHook(req, s, health, std::move(respond));
    };
    return r;
  }
  if (path == "/healthz") {
    return {"healthz", [s, health](HttpRequest&) { return HandleHealth(s, health); }};
  }
  if (path == "/metrics") return {"metrics", [s](HttpRequest&) { return HandleMetrics(s); }};
  if (path == routes::kApiRuns) {
    return {"api_runs", [s](HttpRequest& r) { return HandleRunList(r, s); }};
  }
  if (path == routes::kApiOutbox) {
    return {"api_outbox", [s](HttpRequest& r) { return HandleOutbox(r, s); }};
  }
  const std::string run_prefix = std::string(routes::kApiRuns) + "/";
  if (path.substr(0, run_prefix.size()) == run_prefix && path.size() > run_prefix.size() &&
      path.find('/', run_prefix.size()) == std::string_view::npos) {
    std::string id(path.substr(run_prefix.size()));
    return {"api_runs", [s, id](HttpRequest&) { return HandleRun(s, id); }};
  }
  return {};
}

HttpResponse RejectDelivery(const HttpRequest& partial, int status, const std::string& reason,
                            const HttpServices* s) {
  std::string event(partial.Header("X-Gitea-Event", partial.Header("X-Gogs-Event")));
  const char* outcome = status == 413   ? "too_large"
                        : status == 408 ? "timeout"
                        : status == 503 ? "busy"
                                        : "bad_request";
  if (status == 413) {  // the others are counted only: this runs on the event loop
    LogWarn("delivery.rejected",
            {{"delivery", std::string(partial.Header("X-Gitea-Delivery").substr(0, 100))},
             {"reason", reason}});
  }
  s->metrics->ObserveDelivery(event, outcome, 0);
  return TextResponse(status, reason);
}

}  // namespace ccci
