#include "bot/http/stage_logs.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/URI.h>

#include <fstream>

#include "bot/http/dashboard.h"
#include "bot/http/log_stream.h"
#include "bot/http/metrics.h"
#include "bot/http/server.h"
#include "bot/report/stage_views.h"
#include "bot/store/store.h"
#include "renderer/log_html.h"
#include "renderer/pages.h"

namespace ccci {
namespace {

enum class Kind { kHtml, kRaw, kEvents };

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

std::string ReadRange(const std::string& path, int64_t start, int64_t n) {
  std::ifstream in(path, std::ios::binary);
  std::string buf(static_cast<size_t>(n), '\0');
  in.seekg(start);
  in.read(buf.data(), n);
  buf.resize(static_cast<size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  return buf;
}

int64_t FileSize(const std::string& path, bool* exists) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  *exists = static_cast<bool>(in);
  return *exists ? static_cast<int64_t>(in.tellg()) : 0;
}

class StageLogHandler : public Poco::Net::HTTPRequestHandler {
 public:
  StageLogHandler(int64_t run_id, std::string rest, const HttpServices* s, LogStreams* streams)
      : run_id_(run_id), rest_(std::move(rest)), s_(s), streams_(streams) {}

  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    auto run = s_->store->GetRun(run_id_);
    if (!run.ok()) {
      return Text(resp, HttpStatusFor(run.status().code()), run.status().message());
    }
    if (s_->data_dir.empty()) return Text(resp, 404, "this server keeps no stage logs");
    auto stages = s_->store->ListStages(run_id_);
    if (!stages.ok()) return Text(resp, 503, "store unavailable");
    Kind kind;
    int attempt = 1;
    const StageRecord* rec = Resolve(*stages, &kind, &attempt);
    if (!rec) return Text(resp, 404, "run " + std::to_string(run_id_) + " has no such stage");
    if (!SafeRelativePath(rec->log_path)) {
      return Text(resp, 404, "stage " + rec->name + " has no log");
    }
    std::string file = s_->data_dir + "/" + AttemptLogPath(rec->log_path, attempt);
    if (kind == Kind::kEvents) {
      return ServeLogEvents(req, resp, {s_->store, run_id_, rec->name, file}, streams_,
                            s_->metrics);
    }
    if (kind == Kind::kHtml) {
      for (const auto& [k, v] : Poco::URI(req.getURI()).getQueryParameters()) {
        if (k == "raw" && v != "0") kind = Kind::kRaw;
      }
    }
    if (kind == Kind::kRaw) return ServeRaw(resp, *rec, file);
    ServeHtml(resp, *run, *rec, attempt, file);
  }

 private:
  // {stage}, or {stage}.1 for the retry of a retried stage, then "", ".txt" or "/events".
  const StageRecord* Resolve(const std::vector<StageRecord>& stages, Kind* kind,
                             int* attempt) const {
    std::string rest;
    try {
      Poco::URI::decode(rest_, rest);
    } catch (const Poco::Exception&) {
      return nullptr;
    }
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

  void ServeRaw(Poco::Net::HTTPServerResponse& resp, const StageRecord& rec,
                const std::string& file) {
    bool exists = false;
    int64_t size = FileSize(file, &exists);
    if (!exists && rec.status != kStageRunning) {
      return Text(resp, 404, "the log of stage " + rec.name + " is gone (stage logs are kept for storage.log_retention)");
    }
    resp.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_OK);
    resp.setContentType("text/plain; charset=utf-8");
    resp.set("X-Content-Type-Options", "nosniff");
    resp.set("Cache-Control", "no-cache");
    resp.setContentLength64(size);
    std::ostream& out = resp.send();
    std::ifstream in(file, std::ios::binary);
    char buf[65536];
    // Exactly `size` bytes: the runner may append meanwhile, and the length is promised.
    for (int64_t left = size; left > 0 && in && out;) {
      in.read(buf, static_cast<std::streamsize>(std::min<int64_t>(left, sizeof(buf))));
      if (in.gcount() <= 0) break;
      out.write(buf, in.gcount());
      left -= in.gcount();
    }
    s_->metrics->ObserveHttpRequest("logs", 200);
  }

  void ServeHtml(Poco::Net::HTTPServerResponse& resp, const Run& run, const StageRecord& rec,
                 int attempt, const std::string& file) {
    // Only the stage's latest attempt can still be written to.
    bool running =
        rec.status == kStageRunning && run.state == kRunRunning && attempt == rec.attempts;
    bool exists = false;
    int64_t size = FileSize(file, &exists);
    int64_t start = size > static_cast<int64_t>(kMaxLogHtmlBytes)
                        ? size - static_cast<int64_t>(kMaxLogHtmlBytes)
                        : 0;
    std::string bytes = exists ? ReadRange(file, start, size - start) : "";
    render::LogView v;
    if (start > 0) {
      // Begin at a line, not in the middle of one (or of an escape sequence).
      size_t nl = bytes.find('\n');
      size_t skip = nl == std::string::npos ? 0 : nl + 1;
      bytes.erase(0, skip);
      start += static_cast<int64_t>(skip);
      v.cut = true;
    }
    // While the stage runs, the live stream continues from the last whole line; the line being
    // written is shown apart, and the script replaces it with what the stream sends.
    size_t whole = bytes.size();
    if (running) {
      size_t nl = bytes.rfind('\n');
      whole = nl == std::string::npos ? 0 : nl + 1;
    }
    render::LogHtml log;
    log.Feed(std::string_view(bytes).substr(0, whole));
    v.log_html = log.Html();
    v.sgr = log.SgrState();
    if (whole < bytes.size()) {
      log.Feed(std::string_view(bytes).substr(whole));
      v.partial_html = log.Html().substr(v.log_html.size());
    }
    v.offset = start + static_cast<int64_t>(whole);
    v.run_id = run.id;
    v.repo = run.repo;
    v.stage = attempt > 1 ? rec.name + " (retry)" : rec.name;
    v.status = ToStageResult(rec).status;
    v.reason = rec.reason;
    v.missing = bytes.empty();
    std::string path = StageLogPath(run.id, rec.name, attempt);
    v.raw_url = path + ".txt";
    if (running) v.events_url = path + "/events";
    std::string body = render::RenderLogPage(v, s_->version);
    resp.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_OK);
    resp.setContentType("text/html; charset=utf-8");
    resp.set("X-Content-Type-Options", "nosniff");
    resp.set("Content-Security-Policy", kDashboardCsp);
    resp.set("Cache-Control", "no-cache");
    resp.setContentLength64(static_cast<Poco::Int64>(body.size()));
    resp.send().write(body.data(), static_cast<std::streamsize>(body.size()));
    s_->metrics->ObserveHttpRequest("logs", 200);
  }

  void Text(Poco::Net::HTTPServerResponse& resp, int status, const std::string& line) {
    std::string body = line + "\n";
    resp.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    resp.setContentType("text/plain; charset=utf-8");
    resp.set("X-Content-Type-Options", "nosniff");
    resp.setContentLength64(static_cast<Poco::Int64>(body.size()));
    resp.send() << body;
    s_->metrics->ObserveHttpRequest("logs", status);
  }

  int64_t run_id_;
  std::string rest_;
  const HttpServices* s_;
  LogStreams* streams_;
};

}  // namespace

Poco::Net::HTTPRequestHandler* MakeStageLogHandler(const std::string& path,
                                                   const HttpServices* services,
                                                   LogStreams* streams) {
  const std::string runs = "/runs/";
  if (path.rfind(runs, 0) != 0) return nullptr;
  size_t slash = path.find('/', runs.size());
  if (slash == std::string::npos) return nullptr;
  std::string id = path.substr(runs.size(), slash - runs.size());
  if (id.empty() || id.size() > 18 || id.find_first_not_of("0123456789") != std::string::npos) {
    return nullptr;
  }
  const std::string logs = "/logs/";
  if (path.compare(slash, logs.size(), logs) != 0 || path.size() == slash + logs.size()) {
    return nullptr;
  }
  return new StageLogHandler(std::stoll(id), path.substr(slash + logs.size()), services, streams);
}

}  // namespace ccci
