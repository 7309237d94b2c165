#include "bot/http/stage_logs.h"

#include "bot/http/dashboard.h"
#include "bot/http/log_bytes.h"
#include "bot/http/log_stream.h"
#include "bot/http/query_string.h"
#include "bot/http/server.h"
#include "bot/runner/suite_level.h"
#include "bot/store/run_reader.h"
#include "domain/routes.h"
#include "renderer/log_html.h"
#include "renderer/pages.h"

namespace ccci {
namespace {

enum class Kind { kHtml, kRaw, kEvents };

constexpr size_t kReadBytes = 32 * 1024;

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() > suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The runner writes log_path; still, only a plain relative path under the data dir is served.
bool SafeRelativePath(const std::string& p) {
  if (p.empty() || p[0] == '/' || p.find('\0') != std::string::npos) return false;
  size_t start = 0;
  for (;;) {
    size_t end = p.find('/', start);
    std::string part = p.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (end == std::string::npos) return true;
    start = end + 1;
  }
}

// The raw bytes of a log, exactly the `length` promised in Content-Length.
class RawLogSource : public BodySource {
 public:
  RawLogSource(std::unique_ptr<LogBytes> file, int64_t length)
      : file_(std::move(file)), left_(length) {}
  Pull Next(std::string* out) override {
    if (left_ == 0) return {Step::kDone, {}};
    std::string b = file_->Read(offset_, static_cast<size_t>(std::min<int64_t>(left_, kReadBytes)));
    if (b.empty()) return {Step::kFail, {}};  // the file shrank: the promised length cannot be kept
    offset_ += static_cast<int64_t>(b.size());
    left_ -= static_cast<int64_t>(b.size());
    out->append(b);
    return {left_ == 0 ? Step::kDone : Step::kMore, {}};
  }

 private:
  std::unique_ptr<LogBytes> file_;
  int64_t offset_ = 0;
  int64_t left_;
};

// The log page, rendered as it is sent: the page's head, the log's HTML piece by piece,
// then (for a running stage) the unfinished line and the page's end. Holds a render slot.
class LogPageSource : public BodySource {
 public:
  // Shows [start, whole) as lines and, while the stage runs, [whole, end) as the unfinished
  // line.
  LogPageSource(std::unique_ptr<LogBytes> file, render::LogView view, std::string version,
                int64_t start, int64_t whole, int64_t end, SlotCap* renders)
      : file_(std::move(file)),
        view_(std::move(view)),
        version_(std::move(version)),
        pos_(start),
        whole_(whole),
        end_(end),
        slot_(renders) {}

  Pull Next(std::string* out) override {
    if (!begun_) {
      begun_ = true;
      out->append(render::RenderLogPageParts(view_, version_).before);
      return {Step::kMore, {}};
    }
    if (pos_ < whole_) {
      std::string b =
          file_->Read(pos_, static_cast<size_t>(std::min<int64_t>(kReadBytes, whole_ - pos_)));
      pos_ = b.empty() ? whole_ : pos_ + static_cast<int64_t>(b.size());
      log_.Feed(b);
      out->append(log_.TakeFinished());
      return {Step::kMore, {}};
    }
    out->append(log_.TakeAll());
    view_.sgr = log_.SgrState();
    if (end_ > whole_) {
      log_.Feed(file_->Read(whole_, static_cast<size_t>(end_ - whole_)));
      view_.partial_html = log_.TakeAll();
    }
    out->append(render::RenderLogPageParts(view_, version_).after);
    return {Step::kDone, {}};
  }

 private:
  std::unique_ptr<LogBytes> file_;
  render::LogView view_;
  std::string version_;
  int64_t pos_, whole_, end_;
  Slot slot_;
  render::LogHtml log_;
  bool begun_ = false;
};

class StageLogRoute {
 public:
  StageLogRoute(int64_t run_id, std::string rest, const HttpServices* s, LogStreams* streams,
                SlotCap* renders)
      : run_id_(run_id), rest_(std::move(rest)), s_(s), streams_(streams), renders_(renders) {}

  HttpResponse operator()(HttpRequest& req) const {
    auto run = s_->store->GetRun(run_id_);
    if (!run.ok()) return TextResponse(HttpStatusFor(run.status().code()), run.status().message());
    if (s_->data_dir.empty() && !s_->artifacts) {
      return TextResponse(404, "this server keeps no stage logs");
    }
    auto stages = s_->store->ListStages(run_id_);
    if (!stages.ok()) return TextResponse(503, "store unavailable");
    Kind kind;
    int attempt = 1;
    const StageRecord* rec = Resolve(*stages, &kind, &attempt);
    if (!rec) return TextResponse(404, "run " + std::to_string(run_id_) + " has no such stage");
    if (!SafeRelativePath(rec->log_path))
      return TextResponse(404, "stage " + rec->name + " has no log");
    std::string rel = AttemptLogPath(rec->log_path, attempt);
    StageLogLocation where{s_->artifacts, run_id_, rel.substr(rel.rfind('/') + 1),
                           s_->data_dir.empty() ? "" : s_->data_dir + "/" + rel};
    if (kind == Kind::kEvents)
      return ServeLogEvents(req, {s_->store, run_id_, rec->name, where}, streams_);
    for (const auto& [k, v] : req.query) {
      if (kind == Kind::kHtml && k == "raw" && v != "0") kind = Kind::kRaw;
    }
    if (kind == Kind::kRaw) return ServeRaw(*rec, where);
    return ServeHtml(*run, *rec, attempt, where);
  }

 private:
  // {stage}, or {stage}.1 for the retry of a retried stage, then "", ".txt" or "/events".
  const StageRecord* Resolve(const std::vector<StageRecord>& stages, Kind* kind,
                             int* attempt) const {
    std::string rest;
    if (!PercentDecode(rest_, false, &rest)) return nullptr;
    auto find = [&](const std::string& name) -> const StageRecord* {
      for (const StageRecord& s : stages) {
        if (s.name == name) return &s;
      }
      return nullptr;
    };
    const std::string retry = ".1";
    for (auto [suffix, k] :
         {std::pair{"", Kind::kHtml}, {"/events", Kind::kEvents}, {".txt", Kind::kRaw}}) {
      std::string sfx = suffix;
      if (!sfx.empty() && !EndsWith(rest, sfx)) continue;
      std::string name = rest.substr(0, rest.size() - sfx.size());
      *kind = k;
      *attempt = 1;
      if (const StageRecord* r = find(name)) return r;
      if (!EndsWith(name, retry)) continue;
      const StageRecord* r = find(name.substr(0, name.size() - retry.size()));
      if (r && r->attempts >= 2) {
        *attempt = 2;
        return r;
      }
    }
    return nullptr;
  }

  HttpResponse ServeRaw(const StageRecord& rec, const StageLogLocation& where) const {
    auto file = OpenStageLog(where);
    if (!file->exists() && rec.status != kStageRunning) {
      return TextResponse(404, "the log of stage " + rec.name +
                                   " is gone (stage logs are kept for storage.log_retention)");
    }
    int64_t size = file->Size();
    if (size < 0) return TextResponse(503, "store unavailable");
    HttpResponse r;
    r.content_type = "text/plain; charset=utf-8";
    r.Set("X-Content-Type-Options", "nosniff");
    r.Set("Cache-Control", "no-cache");
    // Exactly the size seen now: the runner may append meanwhile, and the length is promised.
    r.content_length = size;
    r.source = std::make_unique<RawLogSource>(std::move(file), r.content_length);
    return r;
  }

  HttpResponse ServeHtml(const Run& run, const StageRecord& rec, int attempt,
                         const StageLogLocation& where) const {
    if (!renders_->TryAcquire()) {
      HttpResponse r =
          TextResponse(503, "too many log pages being sent (the limit is " +
                                std::to_string(renders_->max()) + "); try again shortly");
      r.Set("Retry-After", "5");
      return r;
    }
    auto file = OpenStageLog(where);
    // Only the stage's latest attempt can still be written to.
    bool running =
        rec.status == kStageRunning && run.state == kRunRunning && attempt == rec.attempts;
    int64_t size = file->Size();
    if (size < 0) {
      renders_->Release();
      return TextResponse(503, "store unavailable");
    }
    int64_t start = std::max<int64_t>(0, size - static_cast<int64_t>(kMaxLogHtmlBytes));
    render::LogView v;
    if (start > 0) {
      // Begin at a line, not in the middle of one (or of an escape sequence).
      start = AfterFirstNewline(*file, start, size);
      v.cut = true;
    }
    // While the stage runs, the live stream continues from the last whole line; the line
    // being written is shown apart (its last LogHtml::kMaxLineBytes at most), and the script
    // replaces it with what the stream sends.
    int64_t whole = size;
    if (running) {
      whole = std::max(AfterLastNewline(*file, start, size),
                       size - static_cast<int64_t>(render::LogHtml::kMaxLineBytes));
    }
    v.offset = whole;
    v.run_id = run.id;
    v.repo = run.repo;
    v.stage = attempt > 1 ? rec.name + " (retry)" : rec.name;
    v.status = ToStageResult(rec).status;
    v.reason = rec.reason;
    v.missing = size == start;
    std::string url = routes::StageLog(run.id, rec.name, attempt);
    v.raw_url = url + ".txt";
    if (running) v.events_url = url + "/events";
    HttpResponse r;
    r.content_type = "text/html; charset=utf-8";
    r.Set("X-Content-Type-Options", "nosniff");
    r.Set("Content-Security-Policy", kDashboardCsp);
    r.Set("Cache-Control", "no-cache");
    r.source = std::make_unique<LogPageSource>(std::move(file), std::move(v), s_->version, start,
                                               whole, size, renders_);
    return r;
  }

  int64_t run_id_;
  std::string rest_;
  const HttpServices* s_;
  LogStreams* streams_;
  SlotCap* renders_;
};

}  // namespace

Route MatchStageLogRoute(std::string_view route_path, const HttpServices* services,
                         LogStreams* streams, SlotCap* renders) {
  std::string path(route_path);
  const std::string runs(routes::kRuns);
  if (path.rfind(runs, 0) != 0) return {};
  size_t slash = path.find('/', runs.size());
  if (slash == std::string::npos) return {};
  std::string id = path.substr(runs.size(), slash - runs.size());
  if (id.empty() || id.size() > 18 || id.find_first_not_of("0123456789") != std::string::npos) {
    return {};
  }
  const std::string logs(routes::kLogs);
  if (path.compare(slash, logs.size(), logs) != 0 || path.size() == slash + logs.size()) {
    return {};
  }
  const char* label = EndsWith(path, "/events") ? "log_events" : "logs";
  return {label, StageLogRoute(std::stoll(id), path.substr(slash + logs.size()), services, streams,
                               renders)};
}

}  // namespace ccci
