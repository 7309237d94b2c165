#pragma once
// The live log of a running stage as Server-Sent Events: GET /runs/{id}/logs/{stage}/events.
// The runner appends to the stage's log file; the stream tails it (polling) and sends each
// new piece as one event:
//
//   id: <byte offset of the file reached>
//   data: <the new bytes as a JSON string>
//
// A reconnecting client sends Last-Event-ID (that offset) and continues there; ?from=N does
// the same for a first connection. When the stage is no longer running the rest of the file
// is sent, then `event: end` with the stage's status as data. If the file shrank (the run was
// requeued and the stage started again), `event: reset` comes first and the log restarts at 0.
// A piece never ends inside a UTF-8 sequence, so every event is valid text.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace Poco::Net {
class HTTPServerRequest;
class HTTPServerResponse;
}  // namespace Poco::Net

namespace ccci {

class Metrics;
class Store;

// Most live log streams served at once; more get 503. Each holds a server thread.
inline constexpr int kMaxLogStreams = 32;

struct LogStreamOptions {
  int max_streams = kMaxLogStreams;
  std::chrono::milliseconds poll_interval{250};
  // A comment line after this much silence keeps proxies from closing the stream.
  std::chrono::milliseconds keepalive{15000};
  // A stream ends after this long; the browser reconnects with Last-Event-ID. Bounds what a
  // forgotten tab costs.
  std::chrono::milliseconds max_duration{std::chrono::minutes(10)};
  size_t max_event_bytes = 64 * 1024;
};

// The cap on concurrent streams, shared by every stream handler of a server. Thread-safe.
class LogStreams {
 public:
  explicit LogStreams(LogStreamOptions options = {}) : options_(options) {}
  const LogStreamOptions& options() const { return options_; }

  // Takes a slot; false when max_streams are open. A true return must be paired with
  // Release().
  bool TryAcquire();
  void Release() { open_.fetch_sub(1); }
  int open() const { return open_.load(); }

 private:
  LogStreamOptions options_;
  std::atomic<int> open_{0};
};

// What one stream tails.
struct LogStreamTarget {
  Store* store = nullptr;
  int64_t run_id = 0;
  std::string stage;
  std::string file;  // absolute path of the log
};

// Serves the stream for `target` (whose stage record exists) until the stage ends, the peer
// goes away, the server stops or max_duration passes. Answers 503 when the cap is reached.
void ServeLogEvents(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
                    const LogStreamTarget& target, LogStreams* streams, Metrics* metrics);

// --- Pieces, exposed for tests ---

// The length of the longest prefix of `bytes` that does not end inside a UTF-8 sequence
// (at most 3 trailing bytes are held back).
size_t CompleteUtf8Prefix(std::string_view bytes);
// `bytes` as a JSON string literal (quotes included); bytes >= 0x80 are copied as they are.
std::string JsonString(std::string_view bytes);
// One event in the text/event-stream format; `event` and `id` are left out when empty.
std::string SseEvent(const std::string& event, const std::string& id, const std::string& data);

}  // namespace ccci
