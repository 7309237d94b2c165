#pragma once
// The live log of a running stage as Server-Sent Events: GET /runs/{id}/logs/{stage}/events.
// The runner appends to the stage's log (the file on its host, the chunks in the store:
// bot/http/log_bytes.h); the stream tails it (polling) and sends each new piece as one event:
//
//   id: <byte offset of the file reached>
//   data: <the new bytes as a JSON string>
//
// A reconnecting client sends Last-Event-ID (that offset) and continues there; ?from=N does
// the same for a first connection. When the stage is no longer running the rest of the file
// is sent, then `event: end` with the stage's status as data. If the log shrank (its files or
// chunks were removed), `event: reset` comes first and the log restarts at 0. Each poll of a
// log in the store costs a few indexed queries, so the cap on streams bounds the store's load.
// A piece never ends inside a UTF-8 sequence, so every event is valid text.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "bot/http/http_message.h"
#include "bot/http/log_bytes.h"
#include "bot/http/slot_cap.h"

namespace ccci {

class RunReader;

// Most live log streams served at once; more get 503. A stream holds no thread: the front
// pulls it every poll_interval on a page worker.
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

// The cap on concurrent streams, shared by every stream of a server. Thread-safe.
class LogStreams {
 public:
  explicit LogStreams(LogStreamOptions options = {})
      : options_(options), slots_(options.max_streams) {}
  const LogStreamOptions& options() const { return options_; }
  SlotCap* slots() { return &slots_; }
  int open() const { return slots_.open(); }

 private:
  LogStreamOptions options_;
  SlotCap slots_;
};

// What one stream tails.
struct LogStreamTarget {
  RunReader* store = nullptr;
  int64_t run_id = 0;
  std::string stage;
  StageLogLocation log;
};

// The stream for `target` (whose stage record exists): it lasts until the stage ends, the
// peer goes away, the server stops or max_duration passes. 503 when the cap is reached.
HttpResponse ServeLogEvents(const HttpRequest& req, const LogStreamTarget& target,
                            LogStreams* streams);

// --- Pieces, exposed for tests ---

// The length of the longest prefix of `bytes` that does not end inside a UTF-8 sequence
// (at most 3 trailing bytes are held back).
size_t CompleteUtf8Prefix(std::string_view bytes);
// `bytes` as a JSON string literal (quotes included); bytes >= 0x80 are copied as they are.
std::string JsonString(std::string_view bytes);
// One event in the text/event-stream format; `event` and `id` are left out when empty.
std::string SseEvent(const std::string& event, const std::string& id, const std::string& data);

}  // namespace ccci
