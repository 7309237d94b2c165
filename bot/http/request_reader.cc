#include "bot/http/request_reader.h"

#include <http_parser.h>
#include <strings.h>

namespace ccci {

struct ParserCallbacks {
  static RequestReader* Of(http_parser* p) { return static_cast<RequestReader*>(p->data); }

  static int OnMessageBegin(http_parser* p) {
    Of(p)->state_ = RequestReader::State::kReading;
    return 0;
  }
  static int OnUrl(http_parser* p, const char* at, size_t n) {
    RequestReader* r = Of(p);
    if (!r->CountHead(n)) return 1;
    r->request_.target.append(at, n);
    return 0;
  }
  static int OnHeaderField(http_parser* p, const char* at, size_t n) {
    RequestReader* r = Of(p);
    if (!r->CountHead(n)) return 1;
    if (r->in_value_ || r->request_.headers.empty()) {
      if (r->request_.headers.size() >= r->limits_.max_headers) {
        r->Fail(431,
                "too many header fields: the limit is " + std::to_string(r->limits_.max_headers));
        return 1;
      }
      r->request_.headers.emplace_back();
      r->in_value_ = false;
    }
    r->request_.headers.back().first.append(at, n);
    return 0;
  }
  static int OnHeaderValue(http_parser* p, const char* at, size_t n) {
    RequestReader* r = Of(p);
    if (!r->CountHead(n)) return 1;
    r->request_.headers.back().second.append(at, n);
    r->in_value_ = true;
    return 0;
  }
  // Returns -1 to refuse: 1 and 2 would mean "no body" and "upgrade" to the parser.
  static int OnHeadersComplete(http_parser* p) {
    RequestReader* r = Of(p);
    HttpRequest& req = r->request_;
    req.method = http_method_str(static_cast<http_method>(p->method));
    req.minor_version = p->http_minor;
    if (p->http_major != 1) {
      r->Fail(505, "HTTP version not supported: use HTTP/1.1");
      return -1;
    }
    bool declared = (p->flags & F_CONTENTLENGTH) != 0;
    if (declared && p->content_length > static_cast<uint64_t>(r->limits_.max_body_bytes)) {
      r->Fail(413, "payload too large: the limit is " + std::to_string(r->limits_.max_body_bytes) +
                       " bytes");
      return -1;
    }
    if (declared) req.body.reserve(p->content_length);
    bool has_body = (declared && p->content_length > 0) || (p->flags & F_CHUNKED);
    std::string_view expect = req.Header("Expect");
    r->continue_due_ =
        has_body && expect.size() == 12 && strncasecmp(expect.data(), "100-continue", 12) == 0;
    return 0;
  }
  static int OnBody(http_parser* p, const char* at, size_t n) {
    RequestReader* r = Of(p);
    if (r->request_.body.size() + n > static_cast<size_t>(r->limits_.max_body_bytes)) {
      r->Fail(413, "payload too large: the limit is " + std::to_string(r->limits_.max_body_bytes) +
                       " bytes");
      return 1;
    }
    r->request_.body.append(at, n);
    return 0;
  }
  static int OnMessageComplete(http_parser* p) {
    RequestReader* r = Of(p);
    // An upgrade (or CONNECT) is answered as a plain request, and the connection closed.
    r->keep_alive_ = http_should_keep_alive(p) != 0 && !p->upgrade;
    r->state_ = RequestReader::State::kComplete;
    http_parser_pause(p, 1);  // stop here: what follows is the next request
    return 0;
  }

  static const http_parser_settings& Settings() {
    static const http_parser_settings settings = [] {
      http_parser_settings s;
      http_parser_settings_init(&s);
      s.on_message_begin = OnMessageBegin;
      s.on_url = OnUrl;
      s.on_header_field = OnHeaderField;
      s.on_header_value = OnHeaderValue;
      s.on_headers_complete = OnHeadersComplete;
      s.on_body = OnBody;
      s.on_message_complete = OnMessageComplete;
      return s;
    }();
    return settings;
  }
};

namespace {

// The one-line reason for a request the parser refused.
std::pair<int, std::string> ParserError(http_errno e) {
  switch (e) {
    case HPE_HEADER_OVERFLOW:
      return {431, "request head too large"};
    case HPE_INVALID_CONTENT_LENGTH:
      return {400, "bad request: invalid Content-Length"};
    case HPE_UNEXPECTED_CONTENT_LENGTH:
      return {400, "bad request: Content-Length repeated or sent with Transfer-Encoding"};
    case HPE_INVALID_TRANSFER_ENCODING:
      return {400, "bad request: Transfer-Encoding must end in chunked"};
    case HPE_INVALID_CHUNK_SIZE:
      return {400, "bad request: invalid chunk size"};
    case HPE_INVALID_METHOD:
      return {400, "bad request: unknown method"};
    case HPE_INVALID_VERSION:
      return {400, "bad request: invalid HTTP version"};
    default:
      return {400, std::string("bad request: ") + http_errno_description(e)};
  }
}

}  // namespace

RequestReader::RequestReader(Limits limits)
    : limits_(limits), parser_(std::make_unique<http_parser>()) {
  Reset();
}

RequestReader::~RequestReader() = default;

void RequestReader::Reset() {
  http_parser_init(parser_.get(), HTTP_REQUEST);
  parser_->data = this;
  request_ = HttpRequest();
  state_ = State::kIdle;
  in_value_ = false;
  head_bytes_ = 0;
  continue_due_ = false;
  keep_alive_ = false;
}

void RequestReader::Fail(int status, std::string reason) {
  state_ = State::kError;
  error_status_ = status;
  error_reason_ = std::move(reason);
}

bool RequestReader::CountHead(size_t n) {
  head_bytes_ += n;
  if (head_bytes_ <= limits_.max_head_bytes) return true;
  Fail(431,
       "request head too large: the limit is " + std::to_string(limits_.max_head_bytes) + " bytes");
  return false;
}

size_t RequestReader::Feed(const char* data, size_t n) {
  size_t used = http_parser_execute(parser_.get(), &ParserCallbacks::Settings(), data, n);
  if (state_ == State::kError || state_ == State::kComplete) return used;
  auto e = static_cast<http_errno>(parser_->http_errno);
  if (e != HPE_OK) {
    auto [status, reason] = ParserError(e);
    Fail(status, std::move(reason));
  } else if (used > 0 && state_ == State::kIdle) {
    state_ = State::kReading;  // blank lines before a request count as its start
  }
  return used;
}

bool RequestReader::TakeContinue() {
  bool due = continue_due_ && state_ == State::kReading;
  continue_due_ = false;
  return due;
}

HttpRequest RequestReader::Take() {
  HttpRequest out = std::move(request_);
  Reset();
  return out;
}

}  // namespace ccci
