#include "bot/http/log_stream.h"

#include "bot/http/query_string.h"
#include "bot/store/run_reader.h"

namespace ccci {
namespace {

// Where the client wants to continue: Last-Event-ID (a reconnect) over ?from= over 0.
int64_t StartOffset(const HttpRequest& req) {
  int64_t n = 0;
  if (ParseDecimal(req.Header("Last-Event-ID"), &n)) return n;
  for (const auto& [k, v] : req.query) {
    if (k == "from" && ParseDecimal(v, &n)) return n;
  }
  return 0;
}

// Whether the stage still runs; if not, `status` says how it ended ("gone" when its record
// was cleared). A store error counts as still running: the next poll asks again.
bool StageRunning(const LogStreamTarget& t, std::string* status) {
  auto stages = t.store->ListStages(t.run_id);
  if (!stages.ok()) return true;
  const StageRecord* rec = nullptr;
  for (const StageRecord& s : *stages) {
    if (s.name == t.stage) rec = &s;
  }
  if (!rec) {
    *status = "gone";
    return false;
  }
  *status = rec->status;
  if (rec->status != kStageRunning) return false;
  // A run that ended under a stage still marked running (a runner crash) ends the stream.
  auto run = t.store->GetRun(t.run_id);
  if (run.ok() && run->state != kRunRunning) {
    *status = run->state;
    return false;
  }
  return true;
}

// Tails one stage log; see the header for the events it sends.
class LogEventSource : public BodySource {
 public:
  LogEventSource(LogStreamTarget target, const LogStreamOptions& options, int64_t offset,
                 SlotCap* slots)
      : target_(std::move(target)), o_(options), offset_(offset), slot_(slots) {}

  Pull Next(std::string* out) override {
    auto now = std::chrono::steady_clock::now();
    if (!started_) {
      started_ = true;
      start_ = last_write_ = now;
      out->append("retry: 2000\n\n");
    }
    // The status is read before the file: a stage seen ended has written its whole log.
    std::string status;
    bool running = StageRunning(target_, &status);
    // Opened once there is a log, then kept: a stream does not hop between copies.
    if (!log_ || !log_->exists()) log_ = OpenStageLog(target_.log);
    if (log_->exists() && !ReadPieces(running, out)) {
      last_write_ = now;
      return {Step::kMore, {}};  // a piece's worth sent; more is there
    }
    if (!running) {
      out->append(SseEvent("end", std::to_string(offset_), status));
      return {Step::kDone, {}};
    }
    if (now - start_ >= o_.max_duration) return {Step::kDone, {}};
    if (!out->empty()) {
      last_write_ = now;
    } else if (now - last_write_ >= o_.keepalive) {
      out->append(": keepalive\n\n");
      last_write_ = now;
    }
    return {Step::kWait, o_.poll_interval};
  }

 private:
  // Appends events for what the log gained, up to about a piece; false when it stopped
  // because the piece is full (more may follow at once).
  bool ReadPieces(bool running, std::string* out) {
    while (out->size() < kPieceBytes) {
      int64_t size = log_->Size();
      if (size < 0) return true;  // the store is unavailable: the next poll asks again
      if (size < offset_) {
        offset_ = 0;
        out->append(SseEvent("reset", "0", "\"\""));
      }
      if (size == offset_) return true;
      size_t want = static_cast<size_t>(std::min<int64_t>(size - offset_, o_.max_event_bytes));
      std::string piece = log_->Read(offset_, want);
      if (piece.empty()) return true;
      bool last = !running && offset_ + static_cast<int64_t>(piece.size()) >= size;
      if (!last) piece.resize(CompleteUtf8Prefix(piece));
      if (piece.empty()) return true;  // only the start of a character so far
      offset_ += static_cast<int64_t>(piece.size());
      out->append(SseEvent("", std::to_string(offset_), JsonString(piece)));
    }
    return false;
  }

  LogStreamTarget target_;
  LogStreamOptions o_;
  int64_t offset_;
  Slot slot_;
  std::unique_ptr<LogBytes> log_;
  bool started_ = false;
  std::chrono::steady_clock::time_point start_, last_write_;
};

}  // namespace

size_t CompleteUtf8Prefix(std::string_view b) {
  size_t n = b.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    auto c = static_cast<unsigned char>(b[n - back]);
    if ((c & 0xc0) == 0x80) continue;  // a continuation byte: look further back
    size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;  // plain bytes, or 3+ continuation bytes (invalid anyway): send them
}

std::string JsonString(std::string_view b) {
  std::string out = "\"";
  for (char c : b) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char hex[8];
          snprintf(hex, sizeof(hex), "\\u%04x", static_cast<unsigned char>(c));
          out += hex;
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
  return out;
}

std::string SseEvent(const std::string& event, const std::string& id, const std::string& data) {
  std::string out;
  if (!event.empty()) out += "event: " + event + "\n";
  if (!id.empty()) out += "id: " + id + "\n";
  out += "data: " + data + "\n\n";
  return out;
}

HttpResponse ServeLogEvents(const HttpRequest& req, const LogStreamTarget& target,
                            LogStreams* streams) {
  const LogStreamOptions& o = streams->options();
  if (!streams->slots()->TryAcquire()) {
    HttpResponse r = TextResponse(503, "too many live log streams (the limit is " +
                                           std::to_string(o.max_streams) + "); try again later");
    r.Set("Retry-After", "10");
    return r;
  }
  HttpResponse r;
  r.content_type = "text/event-stream; charset=utf-8";
  r.Set("X-Content-Type-Options", "nosniff");
  r.Set("Cache-Control", "no-cache");
  r.Set("X-Accel-Buffering", "no");  // nginx: pass events on at once
  r.close = true;
  r.source = std::make_unique<LogEventSource>(target, o, StartOffset(req), streams->slots());
  return r;
}

}  // namespace ccci
