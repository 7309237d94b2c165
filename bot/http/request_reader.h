#pragma once
// Reads HTTP/1.x requests out of bytes as they arrive, one whole request at a time, within
// limits on the head and the body.
//
// The parsing is nodejs' http-parser (Debian's libhttp-parser 2.9.4), not a hand-written
// parser: request smuggling lives in the corner cases, and that parser refuses them the way
// node does after years of attack reports and fuzzing: Content-Length together with
// Transfer-Encoding, a repeated Content-Length, a negative or overflowing one, a transfer
// coding other than a final "chunked", malformed chunk sizes. Each of those is answered 400
// and the connection closed, so a proxy in front and cc-ci cannot disagree on where a request
// ends.
//
// Not thread-safe; one reader per connection, reused for each request on it.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "bot/http/http_message.h"

struct http_parser;

namespace ccci {

class RequestReader {
 public:
  struct Limits {
    size_t max_head_bytes = 16 * 1024;  // request line and headers; above: 431
    size_t max_headers = 100;           // above: 431
    int64_t max_body_bytes = 1 << 20;   // declared or actual; above: 413
  };
  enum class State {
    kIdle,      // nothing of a request read yet
    kReading,   // part of a request read
    kComplete,  // a whole request is ready: Take() it
    kError,     // the request is refused: error_status(), error_reason(); then close
  };

  explicit RequestReader(Limits limits);
  ~RequestReader();
  RequestReader(const RequestReader&) = delete;
  RequestReader& operator=(const RequestReader&) = delete;

  // Reads from `data` up to the end of the current request; returns how many bytes were used
  // (the rest belongs to the next, pipelined, request). REQUIRES: state() is kIdle or kReading.
  size_t Feed(const char* data, size_t n);

  State state() const { return state_; }
  // Bytes of body read so far for the current request.
  size_t body_bytes() const { return request_.body.size(); }
  // True once after the head of a request asking "Expect: 100-continue" was read and its
  // declared body is within the limit: the peer waits for "100 Continue" before sending it.
  bool TakeContinue();

  // The complete request; the reader is ready for the next one. REQUIRES: kComplete.
  HttpRequest Take();
  // Whether the connection may carry another request after this one's answer (HTTP/1.1
  // unless "Connection: close"; HTTP/1.0 only with "Connection: keep-alive"). Valid at
  // kComplete, before Take().
  bool keep_alive() const { return keep_alive_; }

  int error_status() const { return error_status_; }
  const std::string& error_reason() const { return error_reason_; }
  // What was read of the request so far (method, target, headers), for an error answer.
  const HttpRequest& partial() const { return request_; }

 private:
  friend struct ParserCallbacks;
  void Fail(int status, std::string reason);
  void Reset();
  // Counts `n` more bytes of head; false (having failed) over the limit.
  bool CountHead(size_t n);

  Limits limits_;
  std::unique_ptr<http_parser> parser_;
  HttpRequest request_;
  State state_ = State::kIdle;
  bool in_value_ = false;  // the last header callback was for a value
  size_t head_bytes_ = 0;
  bool continue_due_ = false;
  bool keep_alive_ = false;
  int error_status_ = 0;
  std::string error_reason_;
};

}  // namespace ccci
