#pragma once
// One HTTP request as the front (bot/http/front.h) read it, whole, and the answer a handler
// gives back. A body is a string, or a BodySource that the front pulls from only when the
// peer's socket can take more: a page or a log of any size then costs one bounded piece per
// connection, however slowly the peer reads.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ccci {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;
  std::string target;     // as sent: /path?query
  int minor_version = 1;  // HTTP/1.<minor_version>
  HeaderList headers;     // in order, names as sent
  std::string body;       // decoded from chunked when it came so
  std::string peer;       // the peer's address, for logs
  // The query's parameters, percent-decoded; filled by the router before a handler runs.
  std::vector<std::pair<std::string, std::string>> query;

  // The target up to '?'; the query after it ("" when none). Neither is decoded.
  std::string_view path() const;
  std::string_view raw_query() const;
  // The first header called `name` (any case), or `fallback` when there is none.
  std::string_view Header(std::string_view name, std::string_view fallback = {}) const;
  bool is_head() const { return method == "HEAD"; }
};

// A body produced piece by piece. Next runs on a page worker (never on the event loop), and
// only when the previous piece has been handed to the socket.
class BodySource {
 public:
  enum class Step {
    kMore,  // call again when the peer can take more
    kDone,  // the body is complete (what Next appended is its end)
    kWait,  // nothing to send now (a live stream): call again after `wait`
    kFail,  // the body cannot be completed (a file shrank): the connection is closed
  };
  struct Pull {
    Step step = Step::kMore;
    std::chrono::milliseconds wait{0};
  };
  // About how much one Next appends; more is allowed, never unbounded.
  static constexpr size_t kPieceBytes = 32 * 1024;

  virtual ~BodySource() = default;
  // Appends the next piece of the body (possibly nothing) to `out`.
  virtual Pull Next(std::string* out) = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type;  // none when empty
  HeaderList headers;        // besides Content-Type, Content-Length, Date, Connection
  std::string body;
  // When set, the body comes from here instead: with Content-Length when `content_length`
  // says how long it will be, else chunked (close-delimited for HTTP/1.0 peers).
  std::unique_ptr<BodySource> source;
  int64_t content_length = -1;
  bool close = false;  // Connection: close after this answer

  HttpResponse& Set(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

// Hands a request's answer back to the front: called exactly once per request, on any thread.
using Respond = std::function<void(HttpResponse)>;

// `body` as `content_type`, with X-Content-Type-Options: nosniff.
HttpResponse BodyResponse(int status, std::string content_type, std::string body);
// "<line>\n" as text/plain: every error cc-ci gives is one line.
HttpResponse TextResponse(int status, const std::string& line);

const char* ReasonPhrase(int status);

// Appends the status line and headers of `r` to `out`. `length` < 0 with `chunked` false
// means the body ends when the connection closes.
void AppendResponseHead(const HttpResponse& r, bool keep_alive, bool chunked, int64_t length,
                        std::string* out);

}  // namespace ccci
