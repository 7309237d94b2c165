#include "bot/http/log_stream.h"

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/URI.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include "bot/http/metrics.h"
#include "bot/store/store.h"

namespace ccci {
namespace {

bool ParseOffset(const std::string& s, int64_t* out) {
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  *out = std::stoll(s);
  return true;
}

// Where the client wants to continue: Last-Event-ID (a reconnect) over ?from= over 0.
int64_t StartOffset(Poco::Net::HTTPServerRequest& req) {
  int64_t n = 0;
  if (ParseOffset(req.get("Last-Event-ID", ""), &n)) return n;
  for (const auto& [k, v] : Poco::URI(req.getURI()).getQueryParameters()) {
    if (k == "from" && ParseOffset(v, &n)) return n;
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

class Fd {
 public:
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  // Opens `path` on first use; false while it does not exist.
  bool Open(const std::string& path) {
    if (fd_ < 0) fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    return fd_ >= 0;
  }
  int64_t Size() const {
    struct stat st;
    return fstat(fd_, &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
  }
  std::string Read(int64_t offset, size_t n) const {
    std::string buf(n, '\0');
    ssize_t got = pread(fd_, buf.data(), n, offset);
    buf.resize(got > 0 ? static_cast<size_t>(got) : 0);
    return buf;
  }

 private:
  int fd_ = -1;
};

}  // namespace

bool LogStreams::TryAcquire() {
  int n = open_.load();
  while (n < options_.max_streams) {
    if (open_.compare_exchange_weak(n, n + 1)) return true;
  }
  return false;
}

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

void ServeLogEvents(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
                    const LogStreamTarget& target, LogStreams* streams, Metrics* metrics) {
  const LogStreamOptions& o = streams->options();
  resp.set("X-Content-Type-Options", "nosniff");
  if (!streams->TryAcquire()) {
    std::string body = "too many live log streams (the limit is " + std::to_string(o.max_streams) +
                       "); try again later\n";
    resp.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
    resp.set("Retry-After", "10");
    resp.setContentType("text/plain; charset=utf-8");
    resp.setContentLength64(static_cast<Poco::Int64>(body.size()));
    resp.send() << body;
    metrics->ObserveHttpRequest("log_events", 503);
    return;
  }
  struct Slot {
    LogStreams* s;
    ~Slot() { s->Release(); }
  } slot{streams};
  metrics->ObserveHttpRequest("log_events", 200);

  resp.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_OK);
  resp.setContentType("text/event-stream; charset=utf-8");
  resp.set("Cache-Control", "no-cache");
  resp.set("X-Accel-Buffering", "no");  // nginx: pass events on at once
  resp.setChunkedTransferEncoding(true);
  resp.setKeepAlive(false);
  std::ostream& out = resp.send();
  if (req.getMethod() == "HEAD") return;
  auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&req);

  auto start = std::chrono::steady_clock::now();
  auto last_write = start;
  auto write = [&](const std::string& text) {
    out << text;
    out.flush();
    last_write = std::chrono::steady_clock::now();
    return out.good();
  };
  if (!write("retry: 2000\n\n")) return;

  int64_t offset = StartOffset(req);
  Fd fd;
  for (;;) {
    // The status is read before the file: a stage seen ended has written its whole log.
    std::string status;
    bool running = StageRunning(target, &status);
    if (fd.Open(target.file)) {
      for (;;) {
        int64_t size = fd.Size();
        if (size < offset) {
          offset = 0;
          if (!write(SseEvent("reset", "0", "\"\""))) return;
        }
        if (size == offset) break;
        size_t want = static_cast<size_t>(std::min<int64_t>(size - offset, o.max_event_bytes));
        std::string piece = fd.Read(offset, want);
        if (piece.empty()) break;
        bool last = !running && offset + static_cast<int64_t>(piece.size()) >= size;
        if (!last) piece.resize(CompleteUtf8Prefix(piece));
        if (piece.empty()) break;  // only the start of a character so far
        offset += static_cast<int64_t>(piece.size());
        if (!write(SseEvent("", std::to_string(offset), JsonString(piece)))) return;
      }
    }
    if (!running) {
      write(SseEvent("end", std::to_string(offset), status));
      return;
    }
    auto now = std::chrono::steady_clock::now();
    if (now - start >= o.max_duration) return;
    if (now - last_write >= o.keepalive && !write(": keepalive\n\n")) return;
    // Waits for the next poll; a readable socket means the peer closed (or the server shut
    // it down) or sent something a stream does not expect: either way the stream ends.
    if (!impl) {
      std::this_thread::sleep_for(o.poll_interval);
      continue;
    }
    Poco::Net::StreamSocket& socket = impl->socket();
    try {
      if (socket.poll(Poco::Timespan(o.poll_interval.count() * 1000),
                      Poco::Net::Socket::SELECT_READ | Poco::Net::Socket::SELECT_ERROR)) {
        return;
      }
    } catch (const Poco::Exception&) {
      return;
    }
  }
}

}  // namespace ccci
